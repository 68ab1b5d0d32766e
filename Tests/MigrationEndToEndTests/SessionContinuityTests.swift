import FerryDemo
import FerryMigration
import Foundation
import GRDB
import Testing

@testable import FerryStore

/// Cutover logs nobody out, and no side door skips the migration.
@Suite(.serialized) struct SessionContinuityTests {
    static let accountToNew = """

        [[route]]
        name = "account"
        path = "/account"
        action = "proxy"
        upstream = "new"
        """

    static func drain(_ world: MigrationWorld) async throws -> SessionDrain {
        let run = try await OperationsTests.ferry(["status", "--config", world.configPath, "--json"], in: world)
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(try StatusReport.decode(Data(run.stdout.utf8)).legacySessions)
    }

    /// Log in on legacy, migrate by reload, log in elsewhere; the old legacy
    /// session keeps reaching legacy until it expires, then it no longer does,
    /// and the drain report counts it down.
    @Test(.timeLimit(.minutes(2))) func legacySessionLivesUntilItExpires() async throws {
        let world = try await MigrationWorld(target: .scim, legacySessionLifetime: 10) { config in
            config.mode = "off"
            // Late in a migration the account page belongs to the new platform;
            // a live legacy session still pins its holder to legacy.
            config.loginRouteExtra = Self.accountToNew
        }
        do {
            let user = try #require(OperationsTests.plainUsers(world).first)
            let first = try await world.login(user.username, user.password)
            #expect(OperationsTests.loggedInOnLegacy(first), "mode off: legacy logs the user in")
            let session = try #require(first.cookies["legacy_session"])
            let before = try await world.send(.GET, world.base + "/account", cookies: ["legacy_session": session])
            #expect(before.status == 200 && before.body.contains("Logged in to the legacy platform"))
            var drain = try await Self.drain(world)
            #expect(drain.sessionsAlive == 1 && drain.usersWithSessions == 1)
            #expect(drain.lastSessionExpiry.map { $0 > Date() } == true)
            #expect(try await world.metrics().contains("ferry_legacy_sessions_alive 1"))

            try await OperationsTests.reload(world) { $0.mode = "migrate" }
            let second = try await world.login(user.username, user.password)
            #expect(OperationsTests.loggedInOnNew(second), "a new login migrates the user")
            #expect(try world.newAccounts(user.username).count == 1)

            let during = try await world.send(.GET, world.base + "/account", cookies: ["legacy_session": session])
            #expect(during.status == 200 && during.body.contains("Logged in to the legacy platform"))
            let newPage = try await world.send(
                .GET, world.base + "/account", cookies: ["new_session": try #require(second.cookies["new_session"])])
            #expect(newPage.status == 200 && !newPage.body.contains("legacy platform"))
            // Both sessions: the new platform wins.
            let both = try await world.send(
                .GET, world.base + "/account",
                cookies: ["legacy_session": session, "new_session": second.cookies["new_session"] ?? ""])
            #expect(both.status == 200 && !both.body.contains("legacy platform"))

            let expired = try await world.eventually(25) {
                (try? await Self.drain(world).sessionsAlive) == 0
            }
            #expect(expired, "the drain report counts the session down to zero")
            drain = try await Self.drain(world)
            #expect(drain.usersWithSessions == 0 && drain.lastSessionExpiry == nil)
            #expect(try await world.metrics().contains("ferry_legacy_sessions_alive 0"))
            let after = try await world.send(.GET, world.base + "/account", cookies: ["legacy_session": session])
            #expect(after.status == 401, "the expired session is refused")
            #expect(!after.body.contains("Logged in to the legacy platform"))
            #expect(after.body.contains("Please log in"), "it no longer reaches legacy: the route's upstream answers")
            // Nothing in Ferry's state holds the raw session id.
            let stored = try await world.store().pool.read { db in
                try String.fetchAll(db, sql: "SELECT id_hash || name || COALESCE(identifier, '') FROM legacy_sessions")
            }
            #expect(!stored.contains { $0.contains(session) })
        } catch {
            try await world.stop()
            throw error
        }
        try await world.stop()
    }

    @Test(.timeLimit(.minutes(2))) func logoutEndsTheLegacySession() async throws {
        try await MigrationScenarioTests.inWorld(.scim, configure: { $0.mode = "off" }) { world in
            let user = try #require(OperationsTests.plainUsers(world).first)
            let session = try #require(try await world.login(user.username, user.password).cookies["legacy_session"])
            #expect(try await Self.drain(world).sessionsAlive == 1)
            let bye = try await world.send(.POST, world.base + "/logout", cookies: ["legacy_session": session])
            #expect(bye.status == 200)
            #expect(try await Self.drain(world).sessionsAlive == 0, "the cleared cookie ended it")
        }
    }

    @Test(.timeLimit(.minutes(2))) func signupCannotDuplicateALegacyUser() async throws {
        try await MigrationScenarioTests.inWorld(.scim) { world in
            let users = OperationsTests.plainUsers(world)
            let emails = try await world.legacy.database.read { db in
                try Dictionary(
                    uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT username, email FROM users").map {
                        ($0["username"] as String, $0["email"] as String)
                    })
            }
            let legacyEmail = try #require(emails[users[0].username])
            func signup(_ username: String, _ email: String) async throws -> MigrationWorld.Reply {
                try await world.send(
                    .POST, world.base + "/signup",
                    form: [("username", username), ("email", email), ("password", "a-new-password-1")])
            }
            let refused = try await signup("someone-new", legacyEmail)
            #expect(refused.status == 409)
            #expect(refused.body.contains("already exists; log in with your existing password"))
            // Case and Unicode variants are the same identifier.
            let fullwidth =
                String(legacyEmail.prefix(1)).applyingTransform(.fullwidthToHalfwidth, reverse: true)!
                + legacyEmail.dropFirst()
            #expect(try await signup("someone-else", " " + legacyEmail.uppercased()).status == 409)
            #expect(try await signup("someone-third", fullwidth).status == 409)
            #expect(try await signup(users[1].username.uppercased(), "fresh@example.net").status == 409)

            // Once migrated, the new platform answers as usual (the e-mail is taken there).
            #expect(OperationsTests.loggedInOnNew(try await world.login(users[0].username, users[0].password)))
            let afterMigration = try await signup("someone-new", legacyEmail)
            #expect(afterMigration.status == 409 && afterMigration.body.contains("That username or e-mail is taken"))
            // A fresh identifier signs up on the new platform.
            #expect(try await signup("brand-new", "brand-new@example.net").status == 201)
            #expect(try world.newAccounts("brand-new").count == 1)
            #expect(try world.newAccounts("someone-new").isEmpty)
        }
    }

    @Test(.timeLimit(.minutes(2))) func resetOnLegacyThenLoginMigratesWithTheNewPassword() async throws {
        try await MigrationScenarioTests.inWorld(.scim) { world in
            let user = try #require(OperationsTests.plainUsers(world).first)
            let asked = try await world.send(.POST, world.base + "/password/reset", form: [("username", user.username)])
            #expect(asked.status == 200 && asked.body.contains("Check your mail"))
            let line = try #require(world.legacyLogs.all.first { $0.contains("reset_token=") })
            let token = try #require(
                line.split(separator: " ").first { $0.hasPrefix("reset_token=") }?.dropFirst("reset_token=".count))
            let newPassword = "fresh-password-after-reset"
            let done = try await world.send(
                .POST, world.base + "/password/reset/confirm",
                form: [("token", String(token)), ("password", newPassword)])
            #expect(done.status == 200 && done.body.contains("Password changed"))
            #expect(try await world.record(user.username)?.state != .migrated, "a reset does not migrate by itself")

            #expect(try await world.login(user.username, user.password).status == 401, "the old password is gone")
            #expect(OperationsTests.loggedInOnNew(try await world.login(user.username, newPassword)))
            #expect(OperationsTests.loggedInOnNew(try await world.loginToNewDirectly(user.username, newPassword)))
            let account = try #require(try world.newAccounts(user.username).first)
            #expect(account.hashPrefix.hasPrefix("$argon2id$"))

            // Now migrated, the user's resets go to the new platform.
            _ = try await world.send(.POST, world.base + "/password/reset", form: [("username", user.username)])
            let metrics = try await world.metrics()
            #expect(metrics.contains(#"route="password-reset",upstream="legacy",status_class="2xx""#))
            #expect(metrics.contains(#"route="password-reset",upstream="new",status_class="4xx""#))
        }
    }

    @Test(.timeLimit(.minutes(2))) func identifierVariantsMigrateOnce() async throws {
        try await MigrationScenarioTests.inWorld(.scim) { world in
            let user = try #require(OperationsTests.plainUsers(world).first)
            let name = user.username
            let fullwidth =
                String(name.prefix(1)).applyingTransform(.fullwidthToHalfwidth, reverse: true)! + name.dropFirst()
            let variants = [name.uppercased(), "  \(name)  ", fullwidth, name, name.capitalized]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for variant in variants {
                    group.addTask { _ = try await world.login(variant, user.password) }
                }
                try await group.waitForAll()
            }
            #expect(try world.newAccounts(name).count == 1)
            let (records, migrations) = try await world.store().pool.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM migration_records") ?? -1,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_log WHERE kind = 'migrated'") ?? -1
                )
            }
            #expect(records == 1 && migrations == 1, "one user, one record, one migration")

            // A legacy identifier changed after migration does not make a second account.
            try await world.legacy.database.write { db in
                try db.execute(
                    sql: "UPDATE users SET username = ? WHERE username = ?", arguments: ["renamed.user", name])
            }
            _ = try await world.login("renamed.user", user.password)
            let accounts = try await world.new.database.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accounts") ?? -1
            }
            #expect(accounts == 1)
        }
    }
}
