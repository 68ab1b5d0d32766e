import AsyncHTTPClient
import FerryDemo
import FerryTestSupport
import Foundation
import GRDB
import NIOCore
import Synchronization
import Testing

@testable import FerryStore

/// The paths where Ferry must not migrate, and must not get in the way.
@Suite(.serialized) struct FailSafeTests {
    @Test(.timeLimit(.minutes(2))) func storeUnavailableFailsOpenOrClosedAsConfigured() async throws {
        try await MigrationScenarioTests.inWorld(.scim) { world in
            let user = try #require(world.credentials.first { $0.totpSecret == nil })
            // Another process holds the state store's write lock past busy_timeout.
            let lock = try await StoreLock(world.directory.appendingPathComponent("ferry-state.db").path)
            defer { lock.kill() }

            try world.config.text.replacingOccurrences(of: "[state]\n", with: "[state]\nbusy_timeout = \"100ms\"\n")
                .write(toFile: world.configPath, atomically: true, encoding: .utf8)
            await world.stopFerry()
            try await world.startFerry()
            let open = try await world.login(user.username, user.password)
            #expect(open.status == 303 && open.cookies["legacy_session"] != nil, "fail open: legacy logs the user in")

            try world.config.text.replacingOccurrences(
                of: "[state]\n", with: "[state]\nbusy_timeout = \"100ms\"\non_unavailable = \"reject\"\n"
            ).write(toFile: world.configPath, atomically: true, encoding: .utf8)
            await world.server.reload()
            let closed = try await world.login(user.username, user.password)
            #expect(closed.status == 503, "fail closed")
            #expect(closed.body.contains("temporarily unavailable"))

            try await lock.release()
            let metrics = try await world.metrics()
            #expect(metrics.contains(#"ferry_logins_total{destination="legacy",reason="store_unavailable"} 1"#))
            #expect(metrics.contains(#"ferry_logins_total{destination="reject",reason="store_unavailable"} 1"#))
            #expect(world.logs.all.contains { $0.contains("state store unavailable") })
            #expect(try world.newAccounts(user.username).isEmpty)
        }
    }

    /// Logins wait on a state store another process holds locked; a request
    /// that needs no store is answered meanwhile (it once waited 9 s: the
    /// blocked store calls held the threads every request needs).
    @Test(.timeLimit(.minutes(2))) func aLockedStoreDoesNotStallUnrelatedTraffic() async throws {
        try await MigrationScenarioTests.inWorld(.scim) { world in
            let users = Array(world.credentials.filter { $0.totpSecret == nil }.prefix(5))
            // Logins wait on the lock until it is released, never giving up first.
            try world.config.text.replacingOccurrences(of: "[state]\n", with: "[state]\nbusy_timeout = \"120s\"\n")
                .write(toFile: world.configPath, atomically: true, encoding: .utf8)
            await world.stopFerry()
            try await world.startFerry()
            let lock = try await StoreLock(world.directory.appendingPathComponent("ferry-state.db").path)
            defer { lock.kill() }

            let finished = FinishedCount()
            let logins = Task {
                await withTaskGroup(of: Void.self) { group in
                    for user in users {
                        group.addTask {
                            _ = try? await world.login(user.username, user.password)
                            finished.add()
                        }
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            // Stalled, the page would wait for the lock's release, which comes
            // only after it: a bound instead of a deadlock.
            let page = try await withThrowingTaskGroup(of: MigrationWorld.Reply?.self) { group in
                group.addTask { try await world.send(.GET, world.base + "/login") }
                group.addTask {
                    try await Task.sleep(for: .seconds(30))
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            #expect(page?.status == 200, "a page that needs no store is answered while the store is locked")
            #expect(finished.value == 0, "every login still waits on the lock")
            try await lock.release()
            await logins.value
            #expect(finished.value == users.count)
        }
    }

    @Test func shadowModeVerifiesAndProvisionsNothing() async throws {
        try await MigrationScenarioTests.inWorld(.scim, configure: { $0.mode = "shadow" }) { world in
            let user = try #require(world.credentials.first { $0.totpSecret == nil })
            let reply = try await world.login(user.username, user.password)
            #expect(reply.status == 303 && reply.cookies["legacy_session"] != nil)
            let record = try #require(try await world.record(user.username))
            #expect(record.state == .legacy)
            #expect(record.wouldMigrateAt != nil, "recorded as would-migrate")
            #expect(try world.newAccounts(user.username).isEmpty)
            #expect(try await world.store().pendingJobCount() == 0)
            // The shadow report: who would have migrated, per user and in all.
            let status = try await OperationsTests.ferry(["status", "--config", world.configPath], in: world)
            #expect(status.stdout.contains("1 users verified, not migrated"), "\(status.stdout)")
            let shown = try await OperationsTests.ferry(
                ["users", "show", user.username, "--config", world.configPath], in: world)
            #expect(shown.stdout.contains("would migrate"), "\(shown.stdout)")
        }
    }

    @Test func modeOffLeavesUnmigratedUsersAloneButMigratedOnesStayMigrated() async throws {
        try await MigrationScenarioTests.inWorld(.scim) { world in
            let users = world.credentials.filter { $0.totpSecret == nil }
            #expect(try await world.login(users[0].username, users[0].password).cookies["new_session"] != nil)
            try world.config.text.replacingOccurrences(of: "mode = \"migrate\"", with: "mode = \"off\"")
                .write(toFile: world.configPath, atomically: true, encoding: .utf8)
            #expect(await world.server.reload().outcome == .applied)
            #expect(try await world.login(users[0].username, users[0].password).cookies["new_session"] != nil)
            #expect(try await world.login(users[1].username, users[1].password).cookies["legacy_session"] != nil)
            #expect(try await world.record(users[1].username) == nil, "mode off does not even look the user up")
        }
    }

    @Test func mfaTheTargetCannotHoldFollowsPolicy() async throws {
        // The target is told it holds no TOTP.
        let noTOTP = "mfa_factors = [\"recovery_codes\"]\ntimeout = \"3s\""
        try await MigrationScenarioTests.inWorld(
            .scim,
            configure: {
                $0.targetExtra = noTOTP
                $0.unsupportedMFA = "keep_on_legacy"
            }
        ) { world in
            let user = try #require(world.credentials.first { $0.totpSecret != nil })
            let reply = try await world.login(user.username, user.password)
            #expect(reply.cookies["legacy_mfa"] != nil, "kept on legacy, which asks for its code")
            #expect(try await world.record(user.username)?.state == .skipped)
            #expect(try world.newAccounts(user.username).isEmpty)
            #expect(try await world.metrics().contains(#"ferry_mfa_not_carried_total{policy="keep_on_legacy"} 1"#))
        }
        try await MigrationScenarioTests.inWorld(.scim, configure: { $0.targetExtra = noTOTP }) { world in
            let user = try #require(world.credentials.first { $0.totpSecret != nil })
            let reply = try await world.login(user.username, user.password)
            #expect(reply.status == 303, "migrated without the factor the target cannot hold")
            #expect(reply.location == "/account?enroll=mfa", "the new platform makes the user enroll again")
            let account = try #require(try world.newAccounts(user.username).first)
            #expect(account.reenrollRequired)
            #expect(try await world.record(user.username)?.mfaSummary?.contains("reenroll_required") == true)
        }
    }

    @Test func malformedLoginsAreRefusedAndNothingIsForwarded() async throws {
        try await MigrationScenarioTests.inWorld(.scim) { world in
            var request = [("username", "x")]
            var reply = try await world.send(.POST, world.base + "/login", form: request)
            #expect(reply.status == 400)
            #expect(reply.body == "login form has no `password` field\n")
            request = [("username", "x"), ("password", String(repeating: "p", count: 20_000))]
            reply = try await world.send(.POST, world.base + "/login", form: request)
            #expect(reply.status == 413)
            let forwarded = try await world.legacy.database.read { db in
                try Int.fetchOne(db, sql: "SELECT SUM(failed_logins) FROM users")
            }
            #expect(forwarded == 0, "legacy never saw them")
        }
    }

    /// Provisioned, but the new platform cannot be reached: legacy has just
    /// verified the password, so the customer gets in there, and the next
    /// login goes to the new platform once it answers.
    @Test(.timeLimit(.minutes(2))) func aFirstLoginWithTheNewPlatformDownGetsInViaLegacy() async throws {
        // The new upstream is a port nothing listens on (the sql target is a
        // file, so provisioning still works). Stopping the sample server and
        // starting it again on its port would race other tests for that port.
        let realURL = Mutex("")
        try await MigrationScenarioTests.inWorld(
            .sql,
            configure: { config in
                realURL.withLock { $0 = config.newURL }
                config.newURL = "http://127.0.0.1:1"
            }
        ) { world in
            let user = try #require(world.credentials.first { $0.totpSecret == nil })
            let login = try await world.login(user.username, user.password)
            #expect(login.status == 303)
            #expect(login.cookies["legacy_session"] != nil, "legacy logged the customer in")
            #expect(try await world.record(user.username)?.state == .migrated, "provisioned all the same")
            #expect(try world.newAccounts(user.username).count == 1)
            #expect(try await world.metrics().contains(#"ferry_login_fallbacks_total{reason="new_unreachable"} 1"#))
            // The new platform answers again: Ferry restarted with its address.
            await world.stopFerry()
            var config = world.config
            config.newURL = realURL.withLock { $0 }
            try config.text.write(toFile: world.configPath, atomically: true, encoding: .utf8)
            try await world.startFerry()
            let later = try await world.login(user.username, user.password)
            #expect(later.status == 303)
            #expect(later.cookies["new_session"] != nil, "the new platform, once it answers")
        }
    }
}

@Suite struct LoginRewriteTests {
    /// Customers post JSON in a shape only Ferry understands; migrated users'
    /// logins reach the new platform as the form it expects.
    @Test func migratedLoginsAreReshapedForTheNewPlatform() async throws {
        let route = """
            body_format = "json"
            identifier_field = "/user/login"
            password_field = "/secret"
            new_path = "/login"
            new_body_format = "form"
            new_identifier_field = "username"
            new_password_field = "password"
            new_static_fields = { client = "web" }
            """
        try await MigrationScenarioTests.inWorld(.scim, configure: { $0.loginRouteExtra = route }) { world in
            let user = try #require(world.credentials.first { $0.totpSecret == nil })
            var request = HTTPClientRequest(url: world.base + "/login")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            let body = try JSONSerialization.data(withJSONObject: [
                "user": ["login": user.username], "secret": user.password,
            ])
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await world.client.execute(request, timeout: .seconds(30))
            #expect(response.status.code == 303)
            #expect(response.headers["Set-Cookie"].contains { $0.hasPrefix("new_session=") })
            #expect(try await world.record(user.username)?.state == .migrated)
        }
    }
}

@Suite(.serialized) struct ReloadAndKeyTests {
    @Test func reloadNamingAMissingLegacyDatabaseIsRejectedAndChangesNothing() async throws {
        try await MigrationScenarioTests.inWorld(.scim) { world in
            try world.config.text.replacingOccurrences(of: "sqlite://legacy.db", with: "sqlite://missing.db")
                .write(toFile: world.configPath, atomically: true, encoding: .utf8)
            let record = await world.server.reload()
            #expect(record.outcome == .rejected)
            #expect(record.errors.contains { $0.contains("missing.db does not exist") }, "\(record.errors)")
            #expect(!FileManager.default.fileExists(atPath: world.directory.appendingPathComponent("missing.db").path))
            let user = try #require(world.credentials.first { $0.totpSecret == nil })
            #expect(
                try await world.login(user.username, user.password).cookies["new_session"] != nil,
                "the running engine stays")
        }
    }

    /// A job sealed under a key Ferry no longer has: the user is released back
    /// to legacy (audited) and migrates on their next login.
    @Test(.timeLimit(.minutes(2))) func jobsSealedUnderAnOldKeyReleaseTheirUser() async throws {
        // sql: the target goes down by a lock, not by giving up a port that
        // another test could take before it comes back.
        try await MigrationScenarioTests.inWorld(.sql) { world in
            let user = try #require(world.credentials.first { $0.totpSecret == nil })
            try await world.takeTargetDown()
            #expect(try await world.login(user.username, user.password).cookies["legacy_session"] != nil)
            #expect(try await world.record(user.username)?.state == .provisioning)
            await world.stopFerry()
            try String(repeating: "cd", count: 32).write(
                to: world.directory.appendingPathComponent("state.key"), atomically: true, encoding: .utf8)
            try await world.bringTargetBack()
            try await world.startFerry()
            // The login's claim holds the job until its lease (the target's timeout and
            // a margin) has passed; on a loaded machine that is most of the wait.
            #expect(try await world.eventually(45) { try await world.record(user.username)?.state == .legacy })
            #expect(try await world.store().pendingJobCount() == 0)
            #expect(try world.newAccounts(user.username).isEmpty)
            let reply = try await world.login(user.username, user.password)
            #expect(reply.cookies["new_session"] != nil, "migrates on the next login")
            let kinds = try await world.store().pool.read { db in
                try String.fetchAll(db, sql: "SELECT kind FROM audit_log ORDER BY sequence")
            }
            #expect(kinds == ["migration_released", "migrated"])
        }
    }
}

/// Counts finished requests across tasks.
final class FinishedCount: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add() { count.withLock { $0 += 1 } }
}

/// Another process holding a SQLite database's write lock until released.
struct StoreLock {
    let holder = Process()
    let input = Pipe()

    init(_ path: String) async throws {
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = [
            "python3", "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); sys.stdin.read()",
            path,
        ]
        let output = Pipe()
        (holder.standardInput, holder.standardOutput, holder.standardError) = (input, output, FileHandle.nullDevice)
        try holder.run()
        _ = try await offThePool { output.fileHandleForReading.availableData }
    }

    func release() async throws {
        try input.fileHandleForWriting.close()
        await holder.ended()
    }

    func kill() { if holder.isRunning { Foundation.kill(holder.processIdentifier, SIGKILL) } }
}
