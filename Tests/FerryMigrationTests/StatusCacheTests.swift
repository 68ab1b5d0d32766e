import FerryConfig
import Foundation
import Logging
import PasswordHashes
import Synchronization
import Testing

@testable import FerryMigration
@testable import FerryStore

/// The status page costs one scan of the legacy store per few seconds, however
/// often it is asked for.
@Suite struct StatusCacheTests {
    /// A legacy store of `users` users that counts full scans.
    final class CountingSource: LegacySource {
        let users: Int
        let scans = Mutex(0)
        init(users: Int) { self.users = users }

        func account(for identifier: String) throws(LegacySourceError) -> LegacyAccount? { nil }

        func forEachUser(_ body: (LegacyAccount) throws -> Void) throws {
            scans.withLock { $0 += 1 }
            for index in 0..<users {
                try body(
                    LegacyAccount(
                        legacyID: "\(index)", username: "user\(index)", email: nil, emailVerified: false, phone: nil,
                        passwordHash: "x", salt: nil, status: nil, active: true, profile: .init(), createdAt: nil,
                        lastLoginAt: nil, mfa: .init(), consents: []))
            }
        }
    }

    @Test(arguments: [
        // (age, cost, minimum) → fresh
        (1.0, 0.1, 5.0, true), (6.0, 0.1, 5.0, false), (60.0, 20.0, 5.0, true), (201.0, 20.0, 5.0, false),
    ])
    func freshness(age: Double, cost: Double, minimum: Double, fresh: Bool) {
        #expect(
            StatusCache.isFresh(age: .seconds(age), cost: .seconds(cost), minimumAge: .seconds(minimum)) == fresh)
    }

    @Test func manyRequestsCostOneScan() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-status-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try ProxyConfig.parse(
            "[server]\nlisten = \"127.0.0.1:0\"\n", file: "t.conf", baseDirectory: folder.path, environment: [:])
        let store = try SQLiteStateStore(path: folder.appendingPathComponent("state.db").path)
        let services = MigrationServices(
            store: store, hashPool: HashWorkerPool(threads: 1, queueCapacity: 4), sealer: nil,
            logger: Logger(label: "test"))
        defer { services.hashPool.shutdown() }
        let source = CountingSource(users: 5_000)
        let engine = MigrationEngine(config: config, services: services, source: source, target: nil)

        let reports = try await withThrowingTaskGroup(of: StatusReport.self) { group in
            for _ in 0..<50 { group.addTask { try await engine.servedStatusReport(config: config) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(reports.count == 50 && reports.allSatisfy { $0.legacyUsers == 5_000 })
        for _ in 0..<50 { _ = try await engine.servedStatusReport(config: config) }
        #expect(source.scans.withLock { $0 } == 1)

        // A reload makes a new engine, whose first report is built afresh.
        let reloaded = MigrationEngine(config: config, services: services, source: source, target: nil)
        _ = try await reloaded.servedStatusReport(config: config)
        #expect(source.scans.withLock { $0 } == 2)
    }
}
