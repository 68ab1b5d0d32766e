import FerryDemo
import FerryMigration
import FerryTestSupport
import Foundation
import GRDB
import Hummingbird
import PasswordHashes
import Synchronization
import Testing

/// Users whose hash Ferry cannot read (the sample legacy platform's
/// proprietary `$vault$` format) migrate by the platform's own answer at its
/// token endpoint (OAuth 2.0 password grant, answered as Auth0 does).
struct LegacyAnswerTests {
    static let client = OAuthClient(id: "ferry", secret: "ferry-client-secret")

    static func world(
        secret: String = client.secret, tokenURL: String? = nil,
        _ body: (MigrationEngine, LegacyPlatform, TestServer, DatabaseQueue) async throws -> Void
    ) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-answer-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let legacyPath = folder.appendingPathComponent("legacy.db").path
        let platform = try LegacyPlatform(path: legacyPath, oauthClients: [client])
        _ = try platform.addUser(
            LegacyUser(
                username: "vera", email: "vera@example.com", passwordHash: LegacyPlatform.vaultHash("vault pass")))
        _ = try platform.addUser(
            LegacyUser(
                username: "otto", email: "otto@example.com", passwordHash: LegacyPlatform.vaultHash("otto pass"),
                totp: TOTP(secret: Array("12345678901234567890".utf8)), totpLabel: "Otto's phone"))
        _ = try platform.addUser(
            LegacyUser(username: "mona", email: "mona@example.com", passwordHash: LegacyHashWriter.md5Hex("mona pass")))
        _ = try platform.addUser(
            LegacyUser(
                username: "blocked", email: "blocked@example.com",
                passwordHash: LegacyPlatform.vaultHash("blocked pass"),
                active: false))
        let server = TestServer { platform.router() }
        try await server.start()
        let targetPath = folder.appendingPathComponent("target.db").path
        let target = try DatabaseQueue(path: targetPath)
        try await target.write { db in
            try db.execute(
                sql: "CREATE TABLE accounts (id TEXT PRIMARY KEY, external_id TEXT UNIQUE, user_name TEXT, hash TEXT)")
            try db.execute(sql: "CREATE TABLE totp (account_id TEXT, secret TEXT, label TEXT)")
        }
        let secretFile = folder.appendingPathComponent("client-secret").path
        try secret.write(toFile: secretFile, atomically: true, encoding: .utf8)
        let (engine, pool) = try engineWithSQLTarget(
            """
            [legacy]
            database = "sqlite://\(legacyPath)"
            user_query = "SELECT id AS legacy_id, username, email, password_hash, salt, status FROM users WHERE username = :identifier OR email = :identifier"
            mfa_query = "SELECT 'totp' AS kind, secret, label FROM totp WHERE user_id = :legacy_id"
            verify = "auto"
            [legacy.answer]
            token_url = "\(tokenURL ?? server.url + "/oauth/token")"
            client_id = "\(client.id)"
            client_secret_file = "\(secretFile)"
            timeout = "3s"
            [target]
            kind = "sql"
            database = "sqlite://\(targetPath)"
            existing_query = "SELECT id AS new_id, external_id AS legacy_id FROM accounts WHERE external_id = :legacy_id"
            statements = ["INSERT INTO accounts (id, external_id, user_name, hash) VALUES (:new_id, :legacy_id, :username, :password_hash)"]
            totp_statements = ["INSERT INTO totp VALUES (:new_id, :totp_secret, :totp_label)"]
            [migration]
            mode = "migrate"
            rollout_percent = 100
            """)
        defer { pool.shutdown() }
        do {
            try await body(engine, platform, server, target)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func anOpaqueHashMigratesByThePlatformsAnswer() async throws {
        try await Self.world { engine, platform, _, target in
            #expect(await engine.route(identifier: "vera", password: "wrong").label == "legacy:wrong_password")
            let failures = try await platform.database.read { db in
                try Int.fetchOne(db, sql: "SELECT failed_logins FROM users WHERE username = 'vera'")
            }
            #expect(failures == 1, "the platform's own failure count advanced")
            #expect(await engine.route(identifier: "vera", password: "vault pass").label == "new:just_migrated")
            // mfa_required: the password was right; the factor travels from mfa_query.
            #expect(await engine.route(identifier: "otto", password: "otto pass").label == "new:just_migrated")
            // A hash Ferry reads is verified by Ferry, as before.
            #expect(await engine.route(identifier: "mona", password: "mona pass").label == "new:just_migrated")
            #expect(await engine.route(identifier: "blocked", password: "blocked pass").label == "legacy:disabled_user")
            let rows = try target.read { db in try Row.fetchAll(db, sql: "SELECT user_name, hash FROM accounts") }
            #expect(Set(rows.map { $0["user_name"] as String }) == ["vera", "otto", "mona"])
            for row in rows {
                let name: String = row["user_name"]
                let password = name == "vera" ? "vault pass" : "\(name) pass"
                #expect(HashCatalog().verify(password: password, hash: row["hash"]).isMatch, "\(name)")
            }
            let label = try await target.read { db in try String.fetchOne(db, sql: "SELECT label FROM totp") }
            #expect(label == "Otto's phone")
        }
    }

    /// A platform that is down, or that refuses Ferry's client, is never
    /// taken for a wrong password: the login goes to legacy, which answers.
    @Test func noAnswerIsNeverAWrongPassword() async throws {
        try await Self.world(secret: "not-the-secret") { engine, _, _, _ in
            #expect(await engine.route(identifier: "vera", password: "vault pass").label == "legacy:source_unavailable")
        }
        try await Self.world { engine, _, server, _ in
            await server.stop()
            #expect(await engine.route(identifier: "vera", password: "vault pass").label == "legacy:source_unavailable")
        }
    }

    /// A token endpoint that redirects (307 keeps the method and the body)
    /// must not get the password sent on: Ferry never follows it.
    @Test func aRedirectIsNeverFollowedWithThePassword() async throws {
        let elsewhere = Mutex(0)
        let collector = TestServer {
            let router = Router()
            router.post("/collect") { _, _ in
                elsewhere.withLock { $0 += 1 }
                return Response(status: .ok)
            }
            return router
        }
        try await collector.start()
        let redirector = TestServer {
            let router = Router()
            router.post("/oauth/token") { _, _ in
                Response(status: .temporaryRedirect, headers: [.location: "\(collector.url)/collect"])
            }
            return router
        }
        try await redirector.start()
        try await Self.world(tokenURL: "\(redirector.url)/oauth/token") { engine, _, _, _ in
            #expect(await engine.route(identifier: "vera", password: "vault pass").label == "legacy:source_unavailable")
        }
        #expect(elsewhere.withLock { $0 } == 0, "the password went nowhere else")
        await redirector.stop()
        await collector.stop()
    }
}
