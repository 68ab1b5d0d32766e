import FerryDemo
import Foundation
import GRDB
import PasswordHashes
import Synchronization
import Testing

@testable import FerryStore

/// The checks of the migration issue, end to end: real sample platforms on
/// loopback ports, Ferry in front, real SQLite files — once per target.
@Suite(.serialized) struct MigrationScenarioTests {
    /// Runs `body` in a fresh world and always tears the world down.
    static func inWorld(
        _ target: DemoConfig.Target, newUserNames: NewPlatform.UserNames = .caseInsensitive,
        configure: (inout DemoConfig) -> Void = { _ in }, _ body: (MigrationWorld) async throws -> Void
    ) async throws {
        try await MigrationWorld(target: target, newUserNames: newUserNames, configure: configure).running(body)
    }

    @Test(.timeLimit(.minutes(5)), arguments: DemoConfig.Target.allCases)
    func migrationScenario(target: DemoConfig.Target) async throws {
        try await Self.inWorld(target) { world in
            var seenSessions: [String] = []
            let plain = world.credentials.filter { $0.totpSecret == nil }

            // Every legacy format the sample platform holds migrates on login.
            var migrated: [DemoSeed.Credential] = []
            for format in Set(world.credentials.map(\.format)).sorted() {
                let user = try #require(plain.first { $0.format == format })
                let reply = try await world.login(user.username, user.password)
                #expect(reply.status == 303, "\(format): the new platform logs the user in")
                #expect(reply.cookies["new_session"] != nil, "\(format): session issued by the new platform")
                seenSessions += reply.cookies.values
                let direct = try await world.loginToNewDirectly(user.username, user.password)
                #expect(direct.status == 303, "\(format): the new platform accepts the password on its own")
                seenSessions += direct.cookies.values
                let accounts = try world.newAccounts(user.username)
                #expect(accounts.count == 1, "\(format)")
                #expect(accounts.first?.hashPrefix == "$argon2id$v=19$", "\(format)")
                #expect(try await world.record(user.username)?.state == .migrated, "\(format)")
                migrated.append(user)
            }
            let store = try world.store()
            #expect(try await store.verifyAuditChain() == .intact(events: migrated.count))
            let audit: [Row] = try store.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT kind, identifier, details FROM audit_log ORDER BY sequence")
            }
            #expect(audit.map { $0["kind"] as String } == Array(repeating: "migrated", count: migrated.count))
            #expect(Set(audit.map { $0["identifier"] as String }) == Set(migrated.map(\.username)))

            // TOTP carried: a code from the legacy secret completes the new platform's step.
            let mfaUser = try #require(world.credentials.first { $0.totpSecret != nil })
            let first = try await world.login(mfaUser.username, mfaUser.password)
            #expect(first.status == 200, "the new platform asks for the second factor")
            let pending = try #require(first.cookies["new_mfa"], "MFA challenge issued by the new platform")
            let code = TOTP(secret: try #require(Base32.decode(mfaUser.totpSecret!))).code(at: Date())
            let second = try await world.send(
                .POST, world.base + "/login/mfa", form: [("code", code)], cookies: ["new_mfa": pending])
            #expect(second.status == 303)
            #expect(second.cookies["new_session"] != nil, "the code from the legacy secret works on the new platform")
            seenSessions += Array(first.cookies.values) + Array(second.cookies.values)
            let account = try #require(try world.newAccounts(mfaUser.username).first)
            let accountID = account.id
            // Consents keep their purpose, client, version, answer and time.
            let legacyConsents: [Row] = try world.legacy.database.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT purpose, client, version, granted, granted_at FROM consents
                        WHERE user_id = (SELECT id FROM users WHERE username = ?) ORDER BY purpose
                        """, arguments: [mfaUser.username])
            }
            let newConsents: [Row] = try world.new.database.read { db in
                try Row.fetchAll(
                    db,
                    sql:
                        "SELECT purpose, client, version, granted, granted_at FROM consent_records WHERE account_id = ? ORDER BY purpose",
                    arguments: [accountID])
            }
            #expect(!legacyConsents.isEmpty)
            #expect(newConsents.count == legacyConsents.count)
            for (old, carried) in zip(legacyConsents, newConsents) {
                #expect(old["purpose"] as String == carried["purpose"] as String)
                #expect(old["client"] as String == carried["client"] as String)
                #expect(old["version"] as String == carried["version"] as String)
                #expect(old["granted"] as Bool == carried["granted"] as Bool)
                #expect(abs((old["granted_at"] as Double) - (carried["granted_at"] as Double)) < 1, "to the second")
            }
            let recovery = try await world.new.database.read { db in
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM recovery_codes WHERE account_id = ?", arguments: [accountID])
            }
            #expect(recovery == 4, "recovery codes carried as the legacy platform stored them")

            // Wrong password: legacy's own 401, and the user stays on legacy.
            let unmigrated = plain.filter { user in !migrated.contains { $0.username == user.username } }
            let wrongUser = unmigrated[0]
            let wrong = try await world.login(wrongUser.username, "not-the-password")
            #expect(wrong.status == 401)
            #expect(wrong.body.contains("Wrong username or password"), "legacy's own page")
            #expect(try await world.record(wrongUser.username)?.state == .legacy)
            #expect(try await world.record(wrongUser.username)?.failures == 1)
            #expect(try world.newAccounts(wrongUser.username).isEmpty)

            // Target down: the customer still logs in (via legacy); the outbox
            // finishes the migration once the target is back, without a login.
            let downUser = unmigrated[1]
            try await world.takeTargetDown()
            let during = try await world.login(downUser.username, downUser.password)
            #expect(during.status == 303)
            #expect(during.cookies["legacy_session"] != nil, "logged in by legacy")
            seenSessions += during.cookies.values
            #expect(try await world.record(downUser.username)?.state == .provisioning)
            #expect(try await store.pendingJobCount() == 1)
            try await world.bringTargetBack()
            #expect(try await world.eventually { try await world.record(downUser.username)?.state == .migrated })
            #expect(try await store.pendingJobCount() == 0)
            #expect(try world.newAccounts(downUser.username).count == 1)
            #expect(try await world.loginToNewDirectly(downUser.username, downUser.password).status == 303)

            // Fifty simultaneous logins of one user: one user on the new platform.
            let busyUser = unmigrated[2]
            let statuses = try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let reply = try await world.login(busyUser.username, busyUser.password)
                        return (reply.status, Array(reply.cookies.values))
                    }
                }
                return try await group.reduce(into: [(Int, [String])]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0.0 == 303 }, "every login succeeded, on one platform or the other")
            seenSessions += statuses.flatMap(\.1)
            #expect(try world.newAccounts(busyUser.username).count == 1)
            #expect(try await world.record(busyUser.username)?.state == .migrated)
            #expect(try await world.record(busyUser.username)?.attempts == 1, "exactly one provisioning")

            let metrics = try await world.metrics()
            #expect(metrics.contains(#"ferry_logins_total{destination="new",reason="just_migrated"}"#))
            #expect(metrics.contains(#"ferry_logins_total{destination="legacy",reason="wrong_password"}"#))
            #expect(metrics.contains(#"ferry_logins_total{destination="legacy",reason="target_unavailable"}"#))
            #expect(metrics.contains(#"ferry_provisioning_total{via="outbox",result="created"}"#))

            try await SecretsCheck.assertNoSecrets(in: world, sessions: seenSessions)
        }
    }
}
