import FerryConfig
import Foundation
import GRDB

@testable import FerryMigration

/// A throwaway SQLite file with `schema` applied, removed when `body` returns:
/// the real database engine under a source or target, in the temporary folder.
func withTemporarySQLite<T>(
    _ schema: String, _ body: (_ path: String, _ database: DatabaseQueue) async throws -> T
) async throws -> T {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-test-\(UUID()).db").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let database = try DatabaseQueue(path: path)
    try await database.write { db in try db.execute(sql: schema) }
    return try await body(path, database)
}

/// `[target]` settings of kind sql on the database at `path`, with `keys`
/// (statements and the rest) and an `existing_query` (by legacy id unless given).
func sqlTargetSettings(
    database path: String, _ keys: String,
    existing: String = "SELECT id AS new_id, external_id AS legacy_id FROM accounts WHERE external_id = :legacy_id"
) throws -> TargetSettings {
    let text = """
        [server]
        listen = "127.0.0.1:0"
        [target]
        kind = "sql"
        database = "sqlite://\(path)"
        existing_query = "\(existing)"
        \(keys)
        """
    guard let target = try ProxyConfig.parse(text, file: "t.conf", baseDirectory: "/tmp").target else {
        throw TargetSetupError("no [target] in the test config")
    }
    return target
}
