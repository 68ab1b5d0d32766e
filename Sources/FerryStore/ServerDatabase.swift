import FerryConfig
import Logging

/// A database server another system owns — PostgreSQL, MySQL or MariaDB —
/// used through the operator's own statements: the legacy store read in
/// read-only snapshots, the new platform's written one transaction per job.
/// Each engine is one type behind this, as each hash scheme is one type.
public protocol ServerDatabase: Sendable {
    associatedtype Session: ServerSession
    /// Opens the database `location` names; nil when it names another engine.
    static func open(_ location: StoreLocation, timeout: Duration, logger: Logger) throws -> Self?
    /// One read-only snapshot, within the deadline.
    func read<T: Sendable>(_ body: @escaping @Sendable (Session) async throws -> T) async throws -> T
    /// One transaction that may write, within the deadline.
    func write<T: Sendable>(_ body: @escaping @Sendable (Session) async throws -> T) async throws -> T
    /// Every row of `sql`, streamed; no deadline.
    func forEachRow(_ sql: String, _ body: (QueryRow) throws -> Void) async throws
    /// Has the server check `sql` (tables, columns) without running it.
    func check(_ sql: String) async throws
    /// A summary of an error this engine raised; nil for any other error.
    static func errorSummary(_ error: any Error) -> String?
}

/// The queries of one transaction.
public protocol ServerSession: Sendable {
    /// Runs `sql` with its `:name` parameters bound from `parameters`.
    func rows(_ sql: String, _ parameters: [String: String?]) async throws -> [QueryRow]
}

extension ExternalPostgres: ServerDatabase {
    public static func open(_ location: StoreLocation, timeout: Duration, logger: Logger) throws -> Self? {
        guard case .postgres(let location) = location else { return nil }
        return try Self(location: location, timeout: timeout, logger: logger)
    }

    public static func errorSummary(_ error: any Error) -> String? { postgresErrorSummary(error) }
}

extension PostgresSession: ServerSession {}

extension ExternalMySQL: ServerDatabase {
    public static func open(_ location: StoreLocation, timeout: Duration, logger: Logger) throws -> Self? {
        guard case .mysql(let location) = location else { return nil }
        return Self(location: location, timeout: timeout, logger: logger)
    }

    public static func errorSummary(_ error: any Error) -> String? { (error as? MySQLError)?.description }
}

extension MySQLSession: ServerSession {}
