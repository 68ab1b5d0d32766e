import FerryDemo
import FerryTestSupport
import Foundation
import GRDB
import Testing

@testable import FerryStore

/// `ferry serve` killed with SIGKILL at random moments while users migrate:
/// after a restart and the outbox draining, every user is migrated exactly once
/// or not at all, and migrates on the next login.
@Suite(.serialized) struct CrashTests {
    /// The built `ferry` binary, next to the test bundle.
    static var ferryBinary: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let candidates = [
            bundle.deletingLastPathComponent().appendingPathComponent("ferry"),
            bundle.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("ferry"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// Starts `ferry serve`, its output appended to files in the world's folder.
    static func startFerry(_ world: MigrationWorld, adminPort: Int) async throws -> Process {
        let process = Process()
        process.executableURL = ferryBinary
        process.arguments = ["serve", "--config", world.configPath, "--log-level", "info"]
        let logPath = world.directory.appendingPathComponent("ferry-process.log").path
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        let access = try FileHandle(forWritingTo: URL(fileURLWithPath: world.accessLogPath))
        access.seekToEndOfFile()
        // Children must not hold the test runner's own output.
        process.standardOutput = access
        process.standardError = log
        try process.run()
        for _ in 0..<300 {
            if (try? await world.send(.GET, "http://127.0.0.1:\(adminPort)/healthz"))?.status == 200 { return process }
            try await Task.sleep(for: .milliseconds(30))
        }
        kill(process.processIdentifier, SIGKILL)
        throw CocoaError(.executableLoad)
    }

    /// The killed processes' last access-log lines and warnings, for a failure
    /// message (neither holds a secret: the test below checks that).
    static func lastLines(of world: MigrationWorld) throws -> String {
        let access = try String(contentsOfFile: world.accessLogPath, encoding: .utf8).split(separator: "\n")
        let process = try String(
            contentsOf: world.directory.appendingPathComponent("ferry-process.log"), encoding: .utf8
        ).split(separator: "\n").filter { $0.contains("warning") || $0.contains("error") }
        return (["access log:"] + access.suffix(3) + ["warnings:"] + process.suffix(5)).joined(separator: "\n")
    }

    @Test(.timeLimit(.minutes(5)), arguments: [DemoConfig.Target.scim, .sql])
    func sigkillDuringMigrationsLeavesNoGhostAndNoDuplicate(target: DemoConfig.Target) async throws {
        let port = freeLoopbackPort()
        let adminPort = freeLoopbackPort()
        let world = try await MigrationWorld(target: target, users: 36, ferryRunning: false) { config in
            config.ferryListen = "127.0.0.1:\(port)"
            config.adminListen = "127.0.0.1:\(adminPort)"
            // A short lease, so jobs orphaned by a kill come due soon.
            config.targetExtra = "timeout = \"1s\"\nretry_initial = \"200ms\"\nretry_ceiling = \"1s\""
        }
        var ferry: Process?
        do {
            let users = world.credentials.filter { $0.totpSecret == nil }
            let base = "http://127.0.0.1:\(port)"
            // Rounds of concurrent logins, each cut short by a SIGKILL at a random moment.
            for round in 0..<5 {
                let process = try await Self.startFerry(world, adminPort: adminPort)
                ferry = process
                let batch = users.shuffled().prefix(12)
                let logins = Task {
                    await withTaskGroup(of: Void.self) { group in
                        for user in batch {
                            group.addTask {
                                _ = try? await world.send(
                                    .POST, base + "/login",
                                    form: [("username", user.username), ("password", user.password)])
                            }
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 20...(round == 0 ? 150 : 600))))
                kill(process.processIdentifier, SIGKILL)
                await process.ended()
                await logins.value
            }

            // One deterministic crash: the target is down (for sql, locked, so the
            // call hangs until its timeout) and Ferry dies while the user is claimed.
            var unseen: DemoSeed.Credential?
            for user in users where (try? await world.record(user.username)?.state) == nil {
                unseen = user
                break
            }
            let claimed = try #require(unseen)
            let process = try await Self.startFerry(world, adminPort: adminPort)
            try await world.takeTargetDown()
            let login = Task {
                try? await world.send(
                    .POST, base + "/login", form: [("username", claimed.username), ("password", claimed.password)])
            }
            #expect(try await world.eventually(10) { try await world.record(claimed.username)?.state == .provisioning })
            kill(process.processIdentifier, SIGKILL)
            await process.ended()
            _ = await login.value
            try await world.bringTargetBack()
            #expect(try await world.store().pendingJobCount() >= 1, "the kill left a claimed user with a job")

            // Restart and let the outbox drain.
            do {
                ferry = try await Self.startFerry(world, adminPort: adminPort)
            } catch {
                Issue.record("ferry did not restart: \(error)")
                throw error
            }
            let store = try world.store()
            let drained = try await world.eventually(30) {
                let claimed = try await store.pool.read { db in
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM migration_records WHERE state = 'provisioning'")
                }
                return try await store.pendingJobCount() == 0 && claimed == 0
            }
            #expect(drained, "the outbox finished every orphaned job")
            #expect(
                try await world.record(claimed.username)?.state == .migrated, "migrated by the outbox, without a login")

            // Every user: migrated exactly once, or unmigrated with no trace on the new platform.
            var unmigrated: [DemoSeed.Credential] = []
            for user in users {
                let state = try await world.record(user.username)?.state
                let accounts = try world.newAccounts(user.username)
                #expect(
                    state == nil || state == .legacy || state == .migrated,
                    "\(user.username): \(String(describing: state))")
                if state == .migrated {
                    #expect(accounts.count == 1, "\(user.username) migrated exactly once")
                } else {
                    #expect(accounts.isEmpty, "\(user.username) has no ghost on the new platform")
                    unmigrated.append(user)
                }
            }
            // The rest migrate on their next login.
            for (index, user) in unmigrated.enumerated() {
                let reply: MigrationWorld.Reply
                do {
                    reply = try await world.send(
                        .POST, base + "/login", form: [("username", user.username), ("password", user.password)])
                } catch {
                    Issue.record(
                        "next login \(index) of \(unmigrated.count) failed: \(error); ferry running: \(ferry?.isRunning == true)"
                    )
                    continue
                }
                #expect(reply.status == 303)
                // A target slower than its one-second timeout leaves the user
                // to the outbox (the login goes to legacy meanwhile): migrated
                // either way, and once.
                let migrated = try await world.eventually(30) {
                    try await world.record(user.username)?.state == .migrated
                }
                if !migrated {
                    let state = try await world.record(user.username)?.state
                    Issue.record(
                        "\(user.username) did not migrate on its next login (\(String(describing: state))): \(try Self.lastLines(of: world))"
                    )
                }
                #expect(try world.newAccounts(user.username).count == 1)
            }
            #expect(try await store.verifyAuditChain() == .intact(events: users.count))

            // What the killed processes printed holds no secret either.
            let secrets = try SecretsCheck.secrets(of: world, sessions: [])
            for name in ["ferry-process.log", "access.log"] {
                let text = try String(
                    contentsOf: world.directory.appendingPathComponent(name), encoding: .utf8)
                #expect(!text.isEmpty, "\(name) was written")
                for secret in secrets where text.contains(secret) {
                    Issue.record("a secret (\(secret.count) characters) appears in \(name)")
                }
            }
        } catch {
            if let ferry { kill(ferry.processIdentifier, SIGKILL) }
            try await world.stop()
            throw error
        }
        if let ferry { kill(ferry.processIdentifier, SIGKILL) }
        try await world.stop()
    }
}
