import FerryDemo
import Foundation
import GRDB
import Testing

@testable import FerryStore

/// `ferry users show | retry | release`, run as an operator would, against a
/// world where the new platform's schema refuses an insert until it is fixed.
@Suite(.serialized) struct UserVerbsTests {
    static func users(_ arguments: [String], _ world: MigrationWorld) async throws -> OperationsTests.Run {
        try await OperationsTests.ferry(["users"] + arguments + ["--config", world.configPath], in: world)
    }

    @Test(.timeLimit(.minutes(3))) func aStuckJobIsExplainedAndFinishedAfterTheFix() async throws {
        try await MigrationScenarioTests.inWorld(.sql) { world in
            let user = try #require(world.credentials.first { $0.totpSecret == nil })
            // The new platform's schema refuses the account (say, a column the
            // statements do not fill yet).
            try await world.new.database.write { db in
                try db.execute(
                    sql: """
                        CREATE TRIGGER require_tenant BEFORE INSERT ON accounts
                        BEGIN SELECT RAISE(ABORT, 'accounts.tenant may not be NULL'); END
                        """)
            }
            let login = try await world.login(user.username, user.password)
            #expect(login.cookies["legacy_session"] != nil, "the customer logs in on legacy meanwhile")
            #expect(try await world.record(user.username)?.state == .provisioning, "the job stays, never failed")
            await world.stopFerry()

            let shown = try await Self.users(["show", " \(user.username) "], world)
            #expect(shown.status == 0, "\(shown.stderr)")
            #expect(shown.stdout.contains("state       provisioning"))
            #expect(shown.stdout.contains("accounts.tenant may not be NULL"), "the last error, for the operator")
            #expect(shown.stdout.contains("goes to legacy while the provisioning job is pending"))
            #expect(shown.stdout.contains("`ferry users retry \(user.username)` runs it now"))

            let early = try await Self.users(["retry", user.username], world)
            #expect(early.stdout.contains("still failing, kept for the retrier"), "\(early.stdout)\(early.stderr)")
            #expect(try await world.record(user.username)?.state == .provisioning)

            try await world.new.database.write { db in try db.execute(sql: "DROP TRIGGER require_tenant") }
            let retried = try await Self.users(["retry", user.username], world)
            #expect(retried.status == 0, "\(retried.stderr)")
            #expect(retried.stdout.contains("job run now: migrated (new id "))
            #expect(try await world.record(user.username)?.state == .migrated)
            #expect(try world.newAccounts(user.username).count == 1)
            #expect(try await Self.users(["show", user.username], world).stdout.contains("goes to the new platform"))

            let release = try await Self.users(["release", user.username], world)
            #expect(release.status == 1)
            #expect(release.stderr.contains("migrated users are not released"))

            let name = user.username
            let audit: [String] = try await world.store().pool.read { db in
                try String.fetchAll(
                    db, sql: "SELECT details FROM audit_log WHERE identifier = ? ORDER BY sequence", arguments: [name])
            }
            #expect(audit.contains { $0.contains(#""verb":"users retry""#) || $0.contains("users retry") })
            guard case .intact = try await world.store().verifyAuditChain() else {
                Issue.record("the audit chain verifies after the operator's changes")
                return
            }
        }
    }

    @Test(.timeLimit(.minutes(3))) func failedUsersAreRetriedAndReleased() async throws {
        try await MigrationScenarioTests.inWorld(.sql) { world in
            let plain = world.credentials.filter { $0.totpSecret == nil }
            // Someone signed up on the new platform with these users' names first.
            try await world.new.database.write { db in
                for user in plain.prefix(2) {
                    try db.execute(
                        sql: "INSERT INTO accounts (id, user_name, created, last_modified) VALUES (?, ?, 0, 0)",
                        arguments: [UUID().uuidString, user.username])
                }
            }
            for user in plain.prefix(2) {
                #expect(try await world.login(user.username, user.password).cookies["legacy_session"] != nil)
                #expect(try await world.record(user.username)?.state == .failed)
            }
            let shown = try await Self.users(["show", plain[0].username], world)
            #expect(shown.stdout.contains("goes to legacy: provisioning failed"))
            #expect(shown.stdout.contains("Ferry did not create"), "the conflict's reason")

            let released = try await Self.users(["release", plain[0].username], world)
            #expect(released.status == 0, "\(released.stderr)")
            #expect(released.stdout.contains("released to legacy (was failed)"))

            let all = try await Self.users(["retry", "--all-failed"], world)
            #expect(all.status == 0, "\(all.stderr)")
            #expect(all.stdout.contains("\(plain[1].username): back on legacy (was failed)"))
            #expect(!all.stdout.contains(plain[0].username), "only failed users")
            for user in plain.prefix(2) { #expect(try await world.record(user.username)?.state == .legacy) }

            let unknown = try await Self.users(["show", "nobody-at-all"], world)
            #expect(unknown.stdout.contains("state       none"))
            #expect(unknown.stdout.contains("the legacy source does not know it"))
            let usage = try await Self.users(["retry"], world)
            #expect(usage.status != 0)
            #expect(usage.stderr.contains("name one identifier, or --all-failed"))
        }
    }
}
