import FerryConfig
import Foundation
import PostgresNIO
import Testing

@testable import FerryStore

/// Several Ferry instances on one PostgreSQL database, each with its own
/// store and connection pool, as behind a load balancer.
@Suite(.enabled(if: StoreEngine.postgresURL != nil, "FERRY_TEST_POSTGRES_URL names no server"))
struct PostgresStoreTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func fleet(_ count: Int, on location: PostgresLocation) throws -> [PostgresStateStore] {
        try (0..<count).map { _ in try PostgresStateStore(location: location, timeout: .seconds(30)) }
    }

    @Test func concurrentClaimsOnThreeInstancesProvisionOnce() async throws {
        let fleet = try Self.fleet(3, on: try await StoreEngine.freshDatabase())
        _ = try await fleet[0].seen("carol@example.com", legacyID: "9", legacyScheme: "phpass", at: now)
        let now = self.now
        let outcomes = try await withThrowingTaskGroup(of: ProvisioningClaim.self) { group in
            for attempt in 0..<50 {
                let store = fleet[attempt % 3]
                group.addTask {
                    try await store.claimProvisioning("carol@example.com", job: [9], at: now, leaseUntil: now)
                }
            }
            return try await group.reduce(into: [ProvisioningClaim]()) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .claimed = $0 { true } else { false } }.count == 1)
        #expect(outcomes.filter { $0 == .alreadyProvisioning }.count == 49)
        #expect(try await fleet[2].pendingJobCount() == 1)
    }

    /// `FOR UPDATE SKIP LOCKED`: instances leasing at the same moment get
    /// disjoint jobs, and together every due job.
    @Test func instancesLeaseDisjointJobs() async throws {
        let fleet = try Self.fleet(3, on: try await StoreEngine.freshDatabase())
        for index in 0..<40 {
            _ = try await fleet[0].seen("user\(index)", legacyID: "\(index)", legacyScheme: "md5", at: now)
            _ = try await fleet[0].claimProvisioning("user\(index)", job: [1], at: now, leaseUntil: now)
        }
        let now = self.now
        let leased = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for (index, store) in fleet.enumerated() {
                group.addTask {
                    var mine: [Int64] = []
                    while true {
                        let jobs = try await store.leaseDueJobs(
                            at: now.addingTimeInterval(1), limit: 3, until: now.addingTimeInterval(600),
                            owner: "instance-\(index)")
                        if jobs.isEmpty { return mine }
                        mine += jobs.map(\.id)
                    }
                }
            }
            return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
        }
        let all = leased.flatMap { $0 }
        #expect(all.count == 40, "every due job leased once")
        #expect(Set(all).count == 40, "no job leased by two instances")
    }

    /// Appends from three instances interleave into one chain.
    @Test func auditChainIsOneTotalOrderAcrossInstances() async throws {
        let fleet = try Self.fleet(3, on: try await StoreEngine.freshDatabase())
        let now = self.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in fleet.enumerated() {
                group.addTask {
                    for event in 0..<20 {
                        try await store.appendAudit(
                            kind: "test", identifier: "user\(event)", details: ["instance": "\(index)"], at: now)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await fleet[1].verifyAuditChain() == .intact(events: 60))
        let head = try #require(try await fleet[2].auditHead())
        #expect(head.sequence == 60)
    }

    /// Five instances starting at once on an empty database: the schema is
    /// created once, and every instance works.
    @Test func instancesStartingTogetherMigrateTheSchemaOnce() async throws {
        let location = try await StoreEngine.freshDatabase()
        let fleet = try Self.fleet(5, on: location)
        let now = self.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in fleet.enumerated() {
                group.addTask { _ = try await store.seen("user\(index)", legacyID: nil, legacyScheme: nil, at: now) }
            }
            try await group.waitForAll()
        }
        let versions = try await fleet[0].rows("SELECT version FROM ferry_schema") {
            try $0["version"].decode(Int.self)
        }
        #expect(versions == PostgresSchema.versions.map(\.version))
        #expect(try await fleet[4].statusFigures(at: now).records[.legacy] == 5)
    }

    @Test func theAuditLogIsAppendOnly() async throws {
        let store = try PostgresStateStore(location: try await StoreEngine.freshDatabase(), timeout: .seconds(30))
        try await store.appendAudit(kind: "test", identifier: nil, details: [:], at: now)
        for statement in ["UPDATE audit_log SET kind = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"] {
            await #expect(throws: (any Error).self, "\(statement)") {
                try await store.execute(PostgresQuery(unsafeSQL: statement))
            }
        }
        #expect(try await store.verifyAuditChain() == .intact(events: 1))
    }

    /// Operator verbs never create a store: a mistyped database is an error.
    @Test func operatorsGetAnErrorForADatabaseWithoutFerry() async throws {
        let location = try await StoreEngine.freshDatabase()
        let store = try PostgresStateStore(location: location, timeout: .seconds(30), create: false)
        await #expect(throws: StateStoreError.missing("\(location)")) { _ = try await store.pendingJobCount() }
        _ = try await PostgresStateStore(location: location, timeout: .seconds(30)).pendingJobCount()
        #expect(try await store.pendingJobCount() == 0, "once Ferry has made it, it opens")
    }

    /// `sslmode=verify-full` with the CA that signed the server's certificate
    /// connects (and the session is encrypted); without it the system's roots
    /// refuse the certificate, and the call fails rather than falling back.
    @Test func verifyFullChecksTheServersCertificate() async throws {
        let ca = try #require(ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES_CA"])
        var location = try await StoreEngine.freshDatabase()
        location.tls = .verifyFull
        location.caFile = ca
        let store = try PostgresStateStore(location: location, timeout: .seconds(30))
        let encrypted = try await store.rows("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") {
            try $0["ssl"].decode(Bool.self)
        }
        #expect(encrypted == [true])

        location.caFile = nil
        let untrusted = try PostgresStateStore(location: location, timeout: .seconds(2))
        await #expect(throws: (any Error).self) { _ = try await untrusted.pendingJobCount() }
    }

    /// A server that is not there is an error (the store's deadline, or the
    /// refused connection), never a login left waiting for good.
    @Test func anUnreachableServerIsAnError() async throws {
        var location = try StoreEngine.location()
        location.port = 1
        let store = try PostgresStateStore(location: location, timeout: .milliseconds(500))
        await #expect(throws: (any Error).self) { _ = try await store.record(for: "ada") }
    }
}
