import FerryDemo
import FerryTestSupport
import Foundation
import GRDB
import Testing

@testable import FerryStore

/// Three `ferry serve` processes on one PostgreSQL state store in front of the
/// sample platforms, as behind a load balancer.
@Suite(.serialized, .enabled(if: TestPostgres.url != nil, "FERRY_TEST_POSTGRES_URL names no server"))
struct MultiInstanceTests {
    /// One running instance: its process and ports.
    struct Instance {
        var process: Process
        var port: Int
        var adminPort: Int
        var configPath: String
        var base: String { "http://127.0.0.1:\(port)" }
    }

    /// The world's config with the shared PostgreSQL store; each instance
    /// differs only in its listeners and its own audit checkpoint file (on one
    /// machine the instances cannot share a port, as they would on three).
    static func start(_ count: Int, in world: MigrationWorld, storeURL: String) async throws -> [Instance] {
        let text = try String(contentsOfFile: world.configPath, encoding: .utf8)
            .replacingOccurrences(of: "url = \"sqlite://ferry-state.db\"", with: "url = \"\(storeURL)\"")
        var instances: [Instance] = []
        for index in 0..<count {
            let (port, adminPort) = (freeLoopbackPort(), freeLoopbackPort())
            let path = world.directory.appendingPathComponent("proxy-\(index).conf").path
            try text.replacingOccurrences(
                of: "listen = \"\(world.config.ferryListen)\"", with: "listen = \"127.0.0.1:\(port)\""
            )
            .replacingOccurrences(
                of: "listen = \"\(world.config.adminListen)\"", with: "listen = \"127.0.0.1:\(adminPort)\""
            )
            .replacingOccurrences(
                of: "[state]\n", with: "[state]\naudit_checkpoint_file = \"ferry-audit-\(index).checkpoints\"\n"
            )
            .write(toFile: path, atomically: true, encoding: .utf8)
            instances.append(try await launch(world, configPath: path, port: port, adminPort: adminPort, index: index))
        }
        return instances
    }

    static func launch(_ world: MigrationWorld, configPath: String, port: Int, adminPort: Int, index: Int)
        async throws -> Instance
    {
        let process = Process()
        process.executableURL = CrashTests.ferryBinary
        process.arguments = ["serve", "--config", configPath, "--log-level", "info", "--no-access-log"]
        let logPath = world.directory.appendingPathComponent("ferry-\(index).log").path
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = log
        try process.run()
        for _ in 0..<300 {
            if (try? await world.send(.GET, "http://127.0.0.1:\(adminPort)/healthz"))?.status == 200 {
                return Instance(process: process, port: port, adminPort: adminPort, configPath: configPath)
            }
            try await Task.sleep(for: .milliseconds(30))
        }
        kill(process.processIdentifier, SIGKILL)
        throw CocoaError(.executableLoad)
    }

    static func ferry(_ arguments: [String]) async throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = CrashTests.ferryBinary
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = try await offThePool { output.fileHandleForReading.readDataToEndOfFile() }
        await process.ended()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(.timeLimit(.minutes(5)))
    func threeInstancesMigrateEachUserOnceAndSurviveAKill() async throws {
        let storeURL = try await TestPostgres.freshDatabaseURL()
        let world = try await MigrationWorld(target: .sql, users: 30, ferryRunning: false) { config in
            config.ferryListen = "127.0.0.1:1"
            config.adminListen = "127.0.0.1:2"
            // A short target timeout: jobs orphaned by the kill come due soon.
            config.targetExtra = "timeout = \"1s\"\nretry_initial = \"200ms\"\nretry_ceiling = \"1s\""
        }
        var instances: [Instance] = []
        do {
            instances = try await Self.start(3, in: world, storeURL: storeURL)
            let users = world.credentials.filter { $0.totpSecret == nil && !$0.isStaff }

            // 50 concurrent logins of one user, spread over the three: one account.
            let first = users[0]
            let firstBases = instances.map(\.base)
            let statuses = await withTaskGroup(of: Int.self) { group in
                for attempt in 0..<50 {
                    let base = firstBases[attempt % 3]
                    group.addTask {
                        (try? await world.send(
                            .POST, base + "/login", form: [("username", first.username), ("password", first.password)]
                        ).status) ?? 0
                    }
                }
                return await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 303 }, "every login gets in: \(Set(statuses))")
            #expect(try world.newAccounts(first.username).count == 1, "one account")

            // A round of concurrent migrations; one instance is SIGKILLed at a random moment.
            let batch = Array(users.dropFirst().prefix(15))
            let bases = instances.map(\.base)
            let logins = Task {
                await withTaskGroup(of: Void.self) { group in
                    for (index, user) in batch.enumerated() {
                        let base = bases[index % 3]
                        group.addTask {
                            _ = try? await world.send(
                                .POST, base + "/login",
                                form: [("username", user.username), ("password", user.password)])
                        }
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...400)))
            kill(instances[0].process.processIdentifier, SIGKILL)
            await instances[0].process.ended()
            await logins.value

            // The survivors finish orphaned jobs after their lease; nobody logs in meanwhile.
            let store = try PostgresStateStore(location: try TestPostgres.location(database: storeURL.databaseName))
            let drained = try await world.eventually(30) {
                let pending = try await store.pendingJobCount()
                let provisioning = try await store.statusFigures(at: Date()).records[.provisioning] ?? 0
                return pending == 0 && provisioning == 0
            }
            #expect(drained, "the outbox drains on the surviving instances")
            for user in batch {
                let accounts = try world.newAccounts(user.username)
                let record = try await store.record(for: user.username)
                #expect(accounts.count <= 1, "\(user.username): never two accounts")
                #expect(
                    (record?.state == .migrated) == (accounts.count == 1),
                    "\(user.username): migrated exactly when its account exists (\(String(describing: record?.state)))")
                if record?.state != .migrated {
                    let again = try await world.send(
                        .POST, instances[1].base + "/login",
                        form: [("username", user.username), ("password", user.password)])
                    #expect(again.status == 303)
                    #expect(try world.newAccounts(user.username).count == 1, "migrates on the next login")
                }
            }

            // One audit chain across the instances, and the fleet in `ferry status`.
            let verify = try await Self.ferry(["audit", "verify", "--config", instances[1].configPath])
            #expect(verify.status == 0, "\(verify.stdout)")
            let status = try await Self.ferry(["status", "--config", instances[2].configPath])
            #expect(status.status == 0, "\(status.stdout)")
            #expect(status.stdout.contains("instances") && status.stdout.contains("running"), "\(status.stdout)")
        } catch {
            for instance in instances { kill(instance.process.processIdentifier, SIGKILL) }
            try await world.stop()
            throw error
        }
        for instance in instances { kill(instance.process.processIdentifier, SIGTERM) }
        for instance in instances { await instance.process.ended() }
        try await world.stop()
    }
}

extension String {
    /// The database a `postgres://…/NAME?…` URL names.
    fileprivate var databaseName: String {
        URLComponents(string: self).map { String($0.path.dropFirst()) } ?? ""
    }
}
