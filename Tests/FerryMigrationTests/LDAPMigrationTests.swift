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

    static func engine(target: String, directory: String? = nil) throws -> (MigrationEngine, HashWorkerPool) {
        var legacy = TestLDAP.legacyTables(extra: directory == nil ? "" : "timeout = \"1s\"")
        if let directory { legacy = legacy.replacingOccurrences(of: TestLDAP.url!, with: directory) }
        return try engineWithSQLTarget(
            legacy + """

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

    /// The application kept TOTP devices, consents and extra roles in its own
    /// database, keyed by the directory's entryUUID: they travel with the
    /// customer the directory verified.
    /// The directory down: logins go to legacy as "unavailable", never as a
    /// wrong password, and nothing is provisioned.
    @Test func aDirectoryNobodyAnswersKeepsLoginsOnLegacy() async throws {
        try await withTemporarySQLite(Self.target) { target, database in
            let (engine, pool) = try Self.engine(
                target: target, directory: "ldap://127.0.0.1:\(freeLoopbackPort())")
            defer { pool.shutdown() }
            for password in ["ada-password", "wrong"] {
                #expect(await engine.route(identifier: "ada", password: password).label == "legacy:source_unavailable")
            }
            let provisioned = try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accounts") }
            #expect(provisioned == 0)
        }
    }

    @Test func factorsAndConsentsFromTheStoreBesideTheDirectory() async throws {
        let sourceOnly = try LDAPLegacySourceTests.source()
        let grace = try #require(try await sourceOnly.account(for: "grace"))
        let side = """
            CREATE TABLE otp (user_uuid TEXT, secret TEXT, label TEXT, last_step INTEGER);
            INSERT INTO otp VALUES ('\(grace.legacyID)', 'JBSWY3DPEHPK3PXP', 'Grace''s phone', 59000000);
            CREATE TABLE consents (user_uuid TEXT, purpose TEXT, version TEXT);
            INSERT INTO consents VALUES ('\(grace.legacyID)', 'marketing', 'v3');
            CREATE TABLE app_roles (user_uuid TEXT, role TEXT);
            INSERT INTO app_roles VALUES ('\(grace.legacyID)', 'claims-adjuster'), ('\(grace.legacyID)', 'staff');
            """
        try await withTemporarySQLite(side) { sidePath, _ in
            try await withTemporarySQLite(
                Self.target
                    + "CREATE TABLE totp (account_id TEXT, secret TEXT, label TEXT, last_step INTEGER); CREATE TABLE consent (account_id TEXT, purpose TEXT, version TEXT);"
            ) { target, database in
                let tables = TestLDAP.legacyTables().replacingOccurrences(
                    of: "kind = \"ldap\"",
                    with: """
                        kind = "ldap"
                        database = "sqlite://\(sidePath)"
                        mfa_query = "SELECT 'totp' AS kind, secret, label, last_step AS last_used_step FROM otp WHERE user_uuid = :legacy_id"
                        consents_query = "SELECT purpose, version FROM consents WHERE user_uuid = :legacy_id"
                        roles_query = "SELECT role FROM app_roles WHERE user_uuid = :legacy_id"
                        """)
                let (engine, pool) = try engineWithSQLTarget(
                    tables + """

                        [target]
                        kind = "sql"
                        database = "sqlite://\(target)"
                        existing_query = "SELECT id AS new_id, external_id AS legacy_id FROM accounts WHERE external_id = :legacy_id"
                        statements = ["INSERT INTO accounts (id, external_id, user_name, hash) VALUES (:new_id, :legacy_id, :username, :password_hash)"]
                        role_statements = ["INSERT INTO roles (account_id, role) VALUES (:new_id, :role)"]
                        totp_statements = ["INSERT INTO totp VALUES (:new_id, :totp_secret, :totp_label, :totp_last_used_step)"]
                        consent_statements = ["INSERT INTO consent VALUES (:new_id, :consent_purpose, :consent_version)"]
                        [migration]
                        mode = "migrate"
                        rollout_percent = 100
                        """)
                defer { pool.shutdown() }
                #expect(
                    await engine.route(identifier: "grace", password: "grace-password").label == "new:just_migrated")
                let totp = try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM totp") }
                #expect(totp?["secret"] == "JBSWY3DPEHPK3PXP" && totp?["label"] == "Grace's phone")
                #expect(totp?["last_step"] == 59_000_000, "replay protection travels")
                let consent = try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM consent") }
                #expect(consent?["purpose"] == "marketing" && consent?["version"] == "v3")
                let roles = try await database.read { db in
                    try String.fetchAll(db, sql: "SELECT role FROM roles ORDER BY rowid")
                }
                #expect(roles == ["staff", "claims-adjuster"], "the directory's group first, each once")
            }
        }
    }
}
