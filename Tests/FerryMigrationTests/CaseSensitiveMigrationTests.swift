import FerryConfig
import FerryStore
import FerryTestSupport
import Foundation
import GRDB
import Logging
import PasswordHashes
import Testing

@testable import FerryMigration

/// A legacy store that tells "Ada" and "ada" apart, through the real SQLite
/// source and sql target: each logs in with their own password and becomes
/// their own account on a target that tells them apart too; on one that does
/// not, the second is a conflict and stays on legacy, never merged.
struct CaseSensitiveMigrationTests {
    static let legacySchema = """
        CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT UNIQUE, pw TEXT);
        INSERT INTO users (username, pw) VALUES ('Ada', '\(LegacyHashWriter.md5Hex("ada-upper"))'),
            ('ada', '\(LegacyHashWriter.md5Hex("ada-lower"))');
        """

    static func engine(legacy: String, target: String) throws -> (MigrationEngine, HashWorkerPool) {
        try engineWithSQLTarget(
            """
            [legacy]
            database = "sqlite://\(legacy)"
            user_query = "SELECT id AS legacy_id, username, pw AS password_hash FROM users WHERE username = :identifier"
            case_sensitive = true
            [target]
            kind = "sql"
            database = "sqlite://\(target)"
            existing_query = "SELECT id AS new_id, external_id AS legacy_id FROM accounts WHERE external_id = :legacy_id OR user_name = :username"
            statements = ["INSERT INTO accounts (id, external_id, user_name) VALUES (:new_id, :legacy_id, :username)"]
            [migration]
            mode = "migrate"
            rollout_percent = 100
            [migration.rehash]
            scheme = "bcrypt"
            bcrypt_cost = 10
            """)
    }

    @Test(arguments: [("BINARY", true), ("NOCASE", false)])
    func twoUsersDifferingOnlyInCase(collation: String, twoAccounts: Bool) async throws {
        try await withTemporarySQLite(Self.legacySchema) { legacy, _ in
            try await withTemporarySQLite(
                "CREATE TABLE accounts (id TEXT PRIMARY KEY, external_id TEXT UNIQUE, user_name TEXT UNIQUE COLLATE \(collation));"
            ) { target, database in
                let (engine, pool) = try Self.engine(legacy: legacy, target: target)
                defer { pool.shutdown() }
                // Each is judged against their own hash only.
                #expect(await engine.route(identifier: "ada", password: "ada-upper").label == "legacy:wrong_password")
                #expect(await engine.route(identifier: "Ada", password: "ada-lower").label == "legacy:wrong_password")
                #expect(await engine.route(identifier: "Ada", password: "ada-upper").label == "new:just_migrated")
                let second = await engine.route(identifier: "ada", password: "ada-lower").label
                let names = try await database.read { db in
                    try String.fetchAll(db, sql: "SELECT user_name FROM accounts ORDER BY user_name")
                }
                if twoAccounts {
                    #expect(second == "new:just_migrated")
                    #expect(names == ["Ada", "ada"], "two accounts")
                } else {
                    #expect(second == "legacy:target_conflict", "a target that folds case cannot hold both")
                    #expect(names == ["Ada"], "never merged")
                }
            }
        }
    }
}
