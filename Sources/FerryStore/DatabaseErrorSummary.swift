import GRDB

/// A database error in words fit for a log line. GRDB's own description
/// carries the SQL and its arguments — identifiers, sealed payloads — so only
/// SQLite's message and result code are kept; of PostgreSQL's, the SQLSTATE
/// and the server's message.
public func databaseErrorSummary(_ error: any Error) -> String {
    if let summary = postgresErrorSummary(error) { return summary }
    if let error = error as? MySQLError { return error.description }
    if let error = error as? DatabaseError { return error.message ?? "SQLite error \(error.resultCode)" }
    if let error = error as? StateStoreError { return "\(error)" }
    return String(describing: type(of: error))
}
