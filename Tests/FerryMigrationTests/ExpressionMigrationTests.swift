import FerryConfig
import FerryStore
import FerryTestSupport
import Foundation
import GRDB
import Logging
import PasswordHashes
import Testing

@testable import FerryMigration

/// `[legacy.hash] expression` through the real SQLite source and sql target:
/// a forum's nested MD5 beside rows it already upgraded to bcrypt, a
/// Devise-style peppered bcrypt, and PostgreSQL's md5 that reads the username.
struct ExpressionMigrationTests {
    static func md5(_ text: String) -> String { LegacyHashWriter.md5Hex(text) }

    static func engine(legacy: String, target: String, hash: String) throws -> (MigrationEngine, HashWorkerPool) {
        try engineWithSQLTarget(
            """
            [legacy]
            database = "sqlite://\(legacy)"
            user_query = "SELECT id AS legacy_id, username, pw AS password_hash, salt FROM users WHERE username = :identifier"
            [legacy.hash]
            \(hash)
            [target]
            kind = "sql"
            database = "sqlite://\(target)"
            existing_query = "SELECT id AS new_id, external_id AS legacy_id FROM accounts WHERE external_id = :legacy_id"
            statements = ["INSERT INTO accounts (id, external_id, user_name, hash) VALUES (:new_id, :legacy_id, :username, :password_hash)"]
            [migration]
            mode = "migrate"
            rollout_percent = 100
            """, environment: ["PEPPER": "devise-pepper"])
    }

    static let target =
        "CREATE TABLE accounts (id TEXT PRIMARY KEY, external_id TEXT UNIQUE, user_name TEXT, hash TEXT);"

    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var hash: String
        /// username, stored hash, salt (NULL when nil), password.
        var users: [(String, String, String?, String)]
    }

    static let cases: [Case] = [
        Case(
            description: "forum md5 beside upgraded bcrypt",
            hash: "expression = \"md5(md5(PASSWORD) + SALT)\"\nrows = \"unrecognized\"",
            users: [
                ("old-timer", md5(md5("forum pass") + "x9!"), "x9!", "forum pass"),
                ("upgraded", LegacyHashWriter.bcrypt2y("already bcrypt", cost: 4)!, nil, "already bcrypt"),
            ]),
        Case(
            description: "Devise pepper",
            hash: "expression = \"bcrypt(PASSWORD + PEPPER)\"\npepper_env = \"PEPPER\"",
            users: [("devise", LegacyHashWriter.bcrypt2y("rails pass" + "devise-pepper", cost: 4)!, nil, "rails pass")]),
        Case(
            description: "PostgreSQL md5 reads the username",
            hash: "expression = \"'md5' + md5(PASSWORD + USERNAME)\"",
            users: [("pgrole", "md5" + md5("role pass" + "pgrole"), nil, "role pass")]),
    ]

    @Test(arguments: cases)
    func rightPasswordMigratesWrongOneDoesNot(_ test: Case) async throws {
        let rows = test.users.map { user, hash, salt, _ in
            "('\(user)', '\(hash)', \(salt.map { "'\($0)'" } ?? "NULL"))"
        }
        let schema =
            "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, pw TEXT, salt TEXT); INSERT INTO users (username, pw, salt) VALUES "
            + rows.joined(separator: ", ") + ";"
        try await withTemporarySQLite(schema) { legacy, _ in
            try await withTemporarySQLite(Self.target) { target, database in
                let (engine, pool) = try Self.engine(legacy: legacy, target: target, hash: test.hash)
                defer { pool.shutdown() }
                for (user, _, _, password) in test.users {
                    #expect(
                        await engine.route(identifier: user, password: "X" + password).label == "legacy:wrong_password")
                    #expect(
                        await engine.route(identifier: user, password: password).label == "new:just_migrated", "\(user)"
                    )
                }
                let written = try database.read { db in
                    try Row.fetchAll(db, sql: "SELECT user_name, hash FROM accounts ORDER BY user_name")
                }
                #expect(written.count == test.users.count)
                let catalog = HashCatalog()
                for (row, user) in zip(written, test.users.sorted { $0.0 < $1.0 }) {
                    // The new platform's hash is of the password alone: no pepper, no formula.
                    #expect(catalog.verify(password: user.3, hash: row["hash"]).isMatch, "\(user.0)")
                }
            }
        }
    }
}
