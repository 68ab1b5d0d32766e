import FerryDemo
import FerryTestSupport
import Foundation
import GRDB
import PasswordHashes
import Synchronization
import Testing

@testable import FerryMigration

/// Legacy users behind an admin API (`[legacy] kind = "http"`): the sample
/// legacy platform answers as Auth0's Management API v2 does (users by email
/// and by page, roles, authentication methods without secrets, a
/// client-credentials token), and its token endpoint judges passwords.
struct HTTPSourceTests {
    static let client = OAuthClient(id: "ferry", secret: "ferry-client-secret")

    static func world(
        secret: String = client.secret, migration: String = #"hold_on_legacy = ["legacy_mfa"]"#,
        _ body: (MigrationEngine, LegacyPlatform, DatabaseQueue) async throws -> Void
    ) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-http-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let platform = try LegacyPlatform(path: folder.appendingPathComponent("legacy.db").path, oauthClients: [client])
        _ = try platform.addUser(
            LegacyUser(
                username: "vera", email: "vera@example.com", passwordHash: LegacyPlatform.vaultHash("vault pass"),
                givenName: "Vera",
                consents: [
                    Consent(
                        purpose: "newsletter", client: "web", version: "3", granted: true,
                        grantedAt: Date(timeIntervalSince1970: 1_700_000_000))
                ], isStaff: true, roles: ["support", "billing"]))
        _ = try platform.addUser(
            LegacyUser(
                username: "otto", email: "otto@example.com", passwordHash: LegacyPlatform.vaultHash("otto pass"),
                totp: TOTP(secret: Array("12345678901234567890".utf8)), totpLabel: "Otto's phone"))
        _ = try platform.addUser(
            LegacyUser(
                username: "blocked", email: "blocked@example.com",
                passwordHash: LegacyPlatform.vaultHash("blocked pass"), active: false))
        _ = try platform.addUser(
            LegacyUser(username: "mona", email: "mona@example.com", passwordHash: LegacyPlatform.vaultHash("mona pass"))
        )
        let server = TestServer { platform.router() }
        try await server.start()
        let targetPath = folder.appendingPathComponent("target.db").path
        let target = try DatabaseQueue(path: targetPath)
        try await target.write { db in
            try db.execute(
                sql:
                    "CREATE TABLE accounts (id TEXT PRIMARY KEY, external_id TEXT UNIQUE, user_name TEXT, hash TEXT, staff TEXT, reenroll INTEGER)"
            )
            try db.execute(sql: "CREATE TABLE roles (account_id TEXT, role TEXT)")
            try db.execute(sql: "CREATE TABLE consents (account_id TEXT, purpose TEXT, granted INTEGER, at TEXT)")
        }
        let secretFile = folder.appendingPathComponent("client-secret").path
        try secret.write(toFile: secretFile, atomically: true, encoding: .utf8)
        let (engine, pool) = try engineWithSQLTarget(
            """
            [legacy]
            kind = "http"
            verify = "answer"
            [legacy.http]
            user_url = "\(server.url)/api/v2/users-by-email?email={identifier}"
            roles_url = "\(server.url)/api/v2/users/{legacy_id}/roles"
            mfa_url = "\(server.url)/api/v2/users/{legacy_id}/authentication-methods"
            consents_pointer = "/user_metadata/consents"
            all_users_url = "\(server.url)/api/v2/users?page={page}&per_page=2"
            fields = ["is_staff=/app_metadata/is_staff"]
            token_url = "\(server.url)/oauth/token"
            client_id = "\(client.id)"
            client_secret_file = "\(secretFile)"
            audience = "\(LegacyPlatform.managementAudience)"
            timeout = "3s"
            [legacy.answer]
            token_url = "\(server.url)/oauth/token"
            client_id = "\(client.id)"
            client_secret_file = "\(secretFile)"
            timeout = "3s"
            [target]
            kind = "sql"
            database = "sqlite://\(targetPath)"
            existing_query = "SELECT id AS new_id, external_id AS legacy_id FROM accounts WHERE external_id = :legacy_id"
            statements = ["INSERT INTO accounts (id, external_id, user_name, hash, staff, reenroll) VALUES (:new_id, :legacy_id, :username, :password_hash, :attr_is_staff, :mfa_reenroll_required)"]
            role_statements = ["INSERT INTO roles VALUES (:new_id, :role)"]
            consent_statements = ["INSERT INTO consents VALUES (:new_id, :consent_purpose, :consent_granted, :consent_granted_at)"]
            [migration]
            mode = "migrate"
            rollout_percent = 100
            \(migration)
            """)
        defer { pool.shutdown() }
        do {
            try await body(engine, platform, target)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func usersMigrateFromTheAdminAPIJudgedByThePlatform() async throws {
        try await Self.world { engine, platform, target in
            #expect(
                await engine.route(identifier: "vera@example.com", password: "wrong").label == "legacy:wrong_password")
            let failures = try await platform.database.read { db in
                try Int.fetchOne(db, sql: "SELECT failed_logins FROM users WHERE username = 'vera'")
            }
            #expect(failures == 1, "the platform's own failure count advanced")
            #expect(
                await engine.route(identifier: "vera@example.com", password: "vault pass").label == "new:just_migrated")
            let account = try target.read { db in try Row.fetchOne(db, sql: "SELECT * FROM accounts") }
            #expect(account?["user_name"] == "vera")
            #expect(account?["external_id"] == "auth0|1")
            #expect(account?["staff"] == "1", "app_metadata.is_staff carried")
            let hash: String = account?["hash"] ?? ""
            #expect(HashCatalog().verify(password: "vault pass", hash: hash).isMatch)
            let roles = try await target.read { db in
                try String.fetchAll(db, sql: "SELECT role FROM roles ORDER BY rowid")
            }
            #expect(roles == ["support", "billing"])
            let consents = try target.read { db in
                try Row.fetchAll(db, sql: "SELECT purpose, granted FROM consents")
            }
            #expect(consents.map { $0["purpose"] as String } == ["newsletter"])
            // A second factor whose secret the platform never gives out: held.
            #expect(
                await engine.route(identifier: "otto@example.com", password: "otto pass").label
                    == "legacy:held_on_legacy")
            #expect(
                await engine.route(identifier: "blocked@example.com", password: "blocked pass").label
                    == "legacy:disabled_user")
            #expect(await engine.route(identifier: "nobody@example.com", password: "x").label == "legacy:unknown_user")
        }
    }

    /// An authenticator the platform never hands over is a factor that
    /// cannot be carried: `unsupported_mfa` decides, with no rule needed.
    @Test(arguments: [("require_reenroll", "new:just_migrated"), ("keep_on_legacy", "legacy:mfa_kept_on_legacy")])
    func anAuthenticatorThatStaysOnThePlatformFollowsThePolicy(policy: String, label: String) async throws {
        try await Self.world(migration: #"unsupported_mfa = "\#(policy)""#) { engine, platform, target in
            // Otto's recovery codes are listed too; Vera has only a password.
            _ = try await platform.database.write { db in
                try db.execute(
                    sql:
                        "INSERT INTO recovery_codes (user_id, code_sha256) SELECT id, 'x' FROM users WHERE username = 'otto'"
                )
            }
            #expect(await engine.route(identifier: "otto@example.com", password: "otto pass").label == label)
            let otto = try target.read { db in
                try Row.fetchOne(db, sql: "SELECT reenroll FROM accounts WHERE user_name = 'otto'")
            }
            if policy == "require_reenroll" {
                #expect(otto?["reenroll"] == 1, "flagged to enroll again on the new platform")
            } else {
                #expect(otto == nil)
                let record = try await engine.services.store?.record(for: "otto@example.com")
                #expect(record?.state == .skipped)
                #expect(record?.lastFailure == "MFA factors that cannot be carried: totp,recovery-code")
            }
            // The password method is no second factor.
            #expect(
                await engine.route(identifier: "vera@example.com", password: "vault pass").label == "new:just_migrated")
            let vera = try await target.read { db in
                try Int.fetchOne(db, sql: "SELECT reenroll FROM accounts WHERE user_name = 'vera'")
            }
            #expect(vera == 0)
        }
    }

    /// Identifiers stay one value: another parameter, a path, a wildcard find
    /// nobody; and the user the API answers must carry the identifier typed.
    @Test(arguments: ["vera@example.com&email=otto@example.com", "../users", "*", "vera@example.com#x", ".."])
    func identifiersFindOnlyTheirOwnUser(_ identifier: String) async throws {
        try await Self.world { engine, _, target in
            #expect(await engine.route(identifier: identifier, password: "vault pass").label == "legacy:unknown_user")
            let count = try await target.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accounts") }
            #expect(count == 0)
        }
    }

    @Test func everyUserIsListedPageByPage() async throws {
        try await Self.world { engine, _, _ in
            let source = try #require(engine.source)
            let seen = Mutex<[String]>([])
            try await source.forEachUser { user in seen.withLock { $0.append(user.email ?? "") } }
            #expect(
                seen.withLock { $0 } == [
                    "vera@example.com", "otto@example.com", "blocked@example.com", "mona@example.com",
                ])
        }
    }

    /// The admin API refusing Ferry's client is "legacy unavailable", never
    /// an unknown user or a wrong password.
    @Test func anAdminAPIThatRefusesFerryIsUnavailable() async throws {
        try await Self.world(secret: "not-the-secret") { engine, _, _ in
            #expect(
                await engine.route(identifier: "vera@example.com", password: "vault pass").label
                    == "legacy:source_unavailable")
        }
    }
}
