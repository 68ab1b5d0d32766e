import FerryConfig
import FerryTestSupport
import Foundation
import GRDB
import PasswordHashes
import Testing

@testable import FerryMigration

/// Customers of a real OpenLDAP directory migrating through the engine into a
/// real sql target: every userPassword scheme, the unreadable hash judged by
/// binding, the locked customer and the injected filter left on legacy.
@Suite(.enabled(if: TestLDAP.url != nil, "FERRY_TEST_LDAP_URL names no directory"))
struct LDAPMigrationTests {
    static let target = """
        CREATE TABLE accounts (id TEXT PRIMARY KEY, external_id TEXT UNIQUE, user_name TEXT, email TEXT,
            given_name TEXT, hash TEXT, employee_type TEXT);
        CREATE TABLE roles (account_id TEXT, role TEXT);
        """

    static func engine(target: String) throws -> (MigrationEngine, HashWorkerPool) {
        try engineWithSQLTarget(
            TestLDAP.legacyTables() + """

                [target]
                kind = "sql"
                database = "sqlite://\(target)"
                existing_query = "SELECT id AS new_id, external_id AS legacy_id FROM accounts WHERE external_id = :legacy_id"
                statements = ["INSERT INTO accounts (id, external_id, user_name, email, given_name, hash, employee_type) VALUES (:new_id, :legacy_id, :username, :email, :given_name, :password_hash, :attr_employeeType)"]
                role_statements = ["INSERT INTO roles (account_id, role) VALUES (:new_id, :role)"]
                [migration]
                mode = "migrate"
                rollout_percent = 100
                """)
    }

    @Test func customersMigrateByHashOrByTheDirectorysAnswer() async throws {
        try await withTemporarySQLite(Self.target) { target, database in
            let (engine, pool) = try Self.engine(target: target)
            defer { pool.shutdown() }
            for uid in ["ada", "grace", "alan", "katherine", "edsger", "hidden"] {
                #expect(
                    await engine.route(identifier: uid, password: "wrong").label == "legacy:wrong_password", "\(uid)")
                #expect(
                    await engine.route(identifier: uid, password: "\(uid)-password").label == "new:just_migrated",
                    "\(uid)")
            }
            #expect(
                await engine.route(identifier: "locked", password: "locked-password").label == "legacy:disabled_user")
            #expect(await engine.route(identifier: "*)(uid=*", password: "ada-password").label == "legacy:unknown_user")
            let rows = try database.read { db in
                try Row.fetchAll(db, sql: "SELECT user_name, email, given_name, hash, employee_type FROM accounts")
            }
            #expect(rows.count == 6)
            let ada = try #require(rows.first { $0["user_name"] == "ada" })
            #expect(ada["email"] == "ada@example.com" && ada["given_name"] == "Ada")
            #expect(ada["employee_type"] == "customer")
            // The rehash is of the password alone, whichever way it was judged.
            for row in rows {
                let name: String = row["user_name"]
                #expect(HashCatalog().verify(password: "\(name)-password", hash: row["hash"]).isMatch, "\(name)")
            }
            let roles = try await database.read { db in
                try String.fetchAll(db, sql: "SELECT role FROM roles ORDER BY role")
            }
            #expect(roles == ["brokers", "staff", "staff"])
        }
    }
}
