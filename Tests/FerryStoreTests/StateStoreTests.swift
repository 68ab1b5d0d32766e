import Foundation
import GRDB
import Testing

@testable import FerryStore

struct StateStoreTests {
    static func makeStore() throws -> (SQLiteStateStore, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-state-\(UUID()).db").path
        return (try SQLiteStateStore(path: path), path)
    }

    let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// The audit digest is SHA-256 in lowercase hex: FIPS 180-4 examples (and the empty message).
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func sha256(message: String, expected: String) {
        #expect(AuditDigest.hex(Array(message.utf8)) == expected)
    }

    @Test func aMillionAs() {
        #expect(
            AuditDigest.hex([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// SQLite would keep writing to a deleted file's inode, losing every change.
    @Test func aStoreDeletedOrReplacedUnderARunningFerryIsAnError() async throws {
        let (store, path) = try Self.makeStore()
        _ = try await store.seen("ada@example.com", legacyID: "1", legacyScheme: nil, at: now)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        await #expect(throws: StateStoreError.missing(path)) {
            _ = try await store.seen("bob@example.com", legacyID: "2", legacyScheme: nil, at: now)
        }
        await #expect(throws: StateStoreError.missing(path)) { _ = try await store.record(for: "ada@example.com") }
        _ = try SQLiteStateStore(path: path)
        await #expect(throws: StateStoreError.replaced(path)) { _ = try await store.record(for: "ada@example.com") }
        #expect(throws: StateStoreError.missing(path + ".nope")) {
            _ = try SQLiteStateStore(path: path + ".nope", create: false)
        }
        #expect(!FileManager.default.fileExists(atPath: path + ".nope"))
    }

    @Test(arguments: StoreEngine.available)
    func claimsFollowTheStateMachine(engine: StoreEngine) async throws {
        let store = try await engine.make()
        let seen = try await store.seen("ada@example.com", legacyID: "42", legacyScheme: "bcrypt", at: now)
        #expect(seen.state == .legacy)
        #expect(seen.legacyID == "42")
        _ = try await store.seen("ada@example.com", legacyID: nil, legacyScheme: nil, at: now.addingTimeInterval(5))
        #expect(try await store.record(for: "ada@example.com")?.firstSeenAt == now)
        #expect(try await store.record(for: "ada@example.com")?.legacyID == "42")

        guard
            case .claimed(let jobID) = try await store.claimProvisioning(
                "ada@example.com", job: [1, 2, 3], at: now, leaseUntil: now)
        else {
            Issue.record("the first claim must win")
            return
        }
        #expect(
            try await store.claimProvisioning("ada@example.com", job: [1, 2, 3], at: now, leaseUntil: now)
                == .alreadyProvisioning)
        #expect(try await store.pendingJobCount() == 1)
        try await store.completeMigration(
            MigrationCompletion(
                identifier: "ada@example.com", jobID: jobID, newID: "u-1", mfaSummary: "totp",
                consentSummary: "2 consents",
                audit: ["scheme": "bcrypt"]), at: now)
        #expect(try await store.pendingJobCount() == 0)
        #expect(
            try await store.claimProvisioning("ada@example.com", job: [], at: now, leaseUntil: now) == .alreadyMigrated)
        #expect(try await store.verifyAuditChain() == .intact(events: 1))
        let record = try #require(try await store.record(for: "ada@example.com"))
        #expect(record.state == .migrated)
        #expect(record.newID == "u-1")
        #expect(record.migratedAt == now)
        #expect(record.attempts == 1)

        _ = try await store.seen("bob@example.com", legacyID: "7", legacyScheme: "md5", at: now)
        try await store.markFailed(
            "bob@example.com", state: .failed, reason: "conflict", closingJob: nil, audit: [:], at: now)
        #expect(
            try await store.claimProvisioning("bob@example.com", job: [], at: now, leaseUntil: now)
                == .notEligible(.failed))
        // Skipped users (kept on legacy by MFA policy) may be claimed again later.
        _ = try await store.seen("eve@example.com", legacyID: "8", legacyScheme: "md5", at: now)
        try await store.markFailed(
            "eve@example.com", state: .skipped, reason: "webauthn not supported by target", closingJob: nil, audit: [:],
            at: now)
        #expect(
            try await store.claimProvisioning("eve@example.com", job: [], at: now, leaseUntil: now)
                != .notEligible(.skipped))
        await #expect(throws: StateStoreError.unknownIdentifier) {
            try await store.claimProvisioning("nobody", job: [], at: now, leaseUntil: now)
        }
        #expect(try await store.verifyAuditChain() == .intact(events: 3))
    }

    /// Many logins of one user at once: exactly one provisioning job.
    @Test(arguments: StoreEngine.available)
    func concurrentClaimsProduceOneJob(engine: StoreEngine) async throws {
        let store = try await engine.make()
        _ = try await store.seen("carol@example.com", legacyID: "9", legacyScheme: "phpass", at: now)
        let now = self.now
        let outcomes = try await withThrowingTaskGroup(of: ProvisioningClaim.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await store.claimProvisioning("carol@example.com", job: [9], at: now, leaseUntil: now)
                }
            }
            return try await group.reduce(into: [ProvisioningClaim]()) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .claimed = $0 { true } else { false } }.count == 1)
        #expect(outcomes.filter { $0 == .alreadyProvisioning }.count == 49)
        #expect(try await store.pendingJobCount() == 1)
    }

    @Test(arguments: StoreEngine.available)
    func outboxJobsAreLeasedRescheduledAndCompleted(engine: StoreEngine) async throws {
        let store = try await engine.make()
        _ = try await store.seen("dan@example.com", legacyID: "1", legacyScheme: "md5", at: now)
        let claim = try await store.claimProvisioning(
            "dan@example.com", job: Array("sealed".utf8), at: now, leaseUntil: now.addingTimeInterval(15))
        guard case .claimed = claim else {
            Issue.record("the claim must win")
            return
        }
        func lease(at seconds: Double, for lease: Double = 60) async throws -> [OutboxJob] {
            try await store.leaseDueJobs(
                at: now.addingTimeInterval(seconds), limit: 10, until: now.addingTimeInterval(seconds + lease),
                owner: "test")
        }
        #expect(try await lease(at: 0).isEmpty, "the login holding the lease works on it")
        let job = try #require(try await lease(at: 15).first)
        #expect(job.payload == Array("sealed".utf8))
        #expect(try await lease(at: 16).isEmpty, "leased: offered to nobody else until the lease ends")
        try await store.rescheduleJob(job.id, nextAttemptAt: now.addingTimeInterval(30), error: "target unreachable")
        #expect(try await lease(at: 20).isEmpty)
        let retry = try #require(try await lease(at: 31).first)
        #expect(retry.attempts == 1)
        #expect(retry.lastError == "target unreachable")

        // A restart (a new store on the same database) sees the same pending job.
        let reopened = try Self.reopen(store)
        #expect(try await reopened.pendingJobCount() == 1)
        try await reopened.completeMigration(
            MigrationCompletion(
                identifier: "dan@example.com", jobID: retry.id, newID: "u-9", mfaSummary: nil, consentSummary: nil,
                audit: [:]), at: now.addingTimeInterval(32))
        #expect(try await reopened.pendingJobCount() == 0)
        #expect(
            try await Self.payload(of: retry.id, in: reopened) == [], "sealed secrets are dropped once the job is done")
        #expect(try await lease(at: 10_000).isEmpty, "a finished job is never offered again")

        // Finished jobs leave after their retention; open ones never do.
        _ = try await store.seen("eve@example.com", legacyID: "2", legacyScheme: "md5", at: now)
        _ = try await store.claimProvisioning("eve@example.com", job: [1], at: now, leaseUntil: now)
        #expect(try await store.pruneFinishedJobs(completedBefore: now.addingTimeInterval(31)) == 0)
        #expect(try await store.pruneFinishedJobs(completedBefore: now.addingTimeInterval(33)) == 1)
        #expect(try await store.pendingJobCount() == 1)
    }

    /// The same database opened again, as a restarted Ferry would.
    static func reopen(_ store: any StateStore) throws -> any StateStore {
        switch store {
        case let sqlite as SQLiteStateStore: return try SQLiteStateStore(path: sqlite.path)
        case let postgres as PostgresStateStore:
            return try PostgresStateStore(location: postgres.location, timeout: .seconds(30))
        default: fatalError("unknown store")
        }
    }

    static func payload(of job: Int64, in store: any StateStore) async throws -> [UInt8]? {
        switch store {
        case let sqlite as SQLiteStateStore:
            return try await sqlite.pool.read { db in
                try Data.fetchOne(db, sql: "SELECT payload FROM outbox WHERE id = ?", arguments: [job]).map {
                    [UInt8]($0)
                }
            }
        case let postgres as PostgresStateStore:
            return try await postgres.rows("SELECT payload FROM outbox WHERE id = \(job)") {
                [UInt8](try $0["payload"].decode(Data.self))
            }.first
        default: fatalError("unknown store")
        }
    }

    /// Instances register themselves; the fleet and its config digests are
    /// what `ferry status` shows. Hourly login counts are pruned by age.
    @Test(arguments: StoreEngine.available)
    func instancesTallyAndFiguresAgreeOnBothEngines(engine: StoreEngine) async throws {
        let store = try await engine.make()
        for (id, digest) in [("a", "d1"), ("b", "d1"), ("c", "d2")] {
            try await store.heartbeat(
                InstanceRecord(
                    id: id, version: "1", configDigest: digest, startedAt: now, heartbeatAt: now.addingTimeInterval(5)))
        }
        try await store.heartbeat(
            InstanceRecord(
                id: "c", version: "1", configDigest: "d1", startedAt: now, heartbeatAt: now.addingTimeInterval(9)))
        let fleet = try await store.instances()
        #expect(fleet.map(\.id) == ["a", "b", "c"])
        #expect(!InstanceRecord.configsDiffer(fleet), "c reloaded: all on d1")
        #expect(try await store.pruneInstances(silentSince: now.addingTimeInterval(6)) == 2)
        #expect(try await store.instances().map(\.id) == ["c"])

        let hour = LoginTallyKey(at: now, destination: "new", reason: "just_migrated").hour
        try await store.addLoginTally([
            LoginTallyKey(hour: hour - 500, destination: "legacy", reason: "wrong_password"): 2,
            LoginTallyKey(hour: hour, destination: "new", reason: "just_migrated"): 3,
        ])
        try await store.addLoginTally([LoginTallyKey(hour: hour, destination: "new", reason: "just_migrated"): 4])
        var figures = try await store.statusFigures(at: now)
        #expect(figures.logins == ["legacy:wrong_password": 2, "new:just_migrated": 7])
        #expect(figures.loginsLastDay == ["new:just_migrated": 7])
        #expect(try await store.pruneLoginTally(before: hour - 100) == 1)
        figures = try await store.statusFigures(at: now)
        #expect(figures.logins == ["new:just_migrated": 7])

        _ = try await store.seen("ada", legacyID: "1", legacyScheme: "md5", at: now)
        _ = try await store.seen("ADA@example.com", legacyID: "1", legacyScheme: "md5", at: now)
        for identifier in ["ada", "ADA@example.com"] {
            guard
                case .claimed(let job) = try await store.claimProvisioning(
                    identifier, job: [1], at: now, leaseUntil: now)
            else { return }
            try await store.completeMigration(
                MigrationCompletion(
                    identifier: identifier, jobID: job, newID: "n1", mfaSummary: "totp=1", consentSummary: "consents=2",
                    audit: [:]), at: now)
        }
        figures = try await store.statusFigures(at: now)
        #expect(figures.records[.migrated] == 2)
        #expect(figures.migratedUsers == 1, "one legacy user under two identifiers")
        #expect(figures.mfaCarried == 1 && figures.consentsCarried == 2)
        #expect(figures.migrationsByHour == [hour: 2])
        #expect(try await store.hasMigrated(legacyID: "1"))
        #expect(try await store.migratedLegacyIDs() == ["1"])
    }

    @Test func databaseUsesWAL() throws {
        let (store, _) = try Self.makeStore()
        let mode = try store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test func auditChainIsAppendOnlyAndTamperEvident() async throws {
        let (store, _) = try Self.makeStore()
        let first = try await store.appendAudit(
            kind: "migrated", identifier: "ada@example.com", details: ["scheme": "bcrypt", "target": "scim"], at: now)
        let second = try await store.appendAudit(
            kind: "reload", identifier: nil, details: ["changed": "migration.rollout_percent"], at: now)
        _ = try await store.appendAudit(
            kind: "migrated", identifier: "bob@example.com", details: ["scheme": "md5 \"quoted\""], at: now)
        #expect(first.previousHash == String(repeating: "0", count: 64))
        #expect(second.previousHash == first.hash)
        #expect(first.details == #"{"scheme":"bcrypt","target":"scim"}"#)
        #expect(try await store.verifyAuditChain() == .intact(events: 3))

        #expect(throws: (any Error).self) {
            try store.pool.write { db in try db.execute(sql: "UPDATE audit_log SET kind = 'x' WHERE sequence = 2") }
        }
        #expect(throws: (any Error).self) {
            try store.pool.write { db in try db.execute(sql: "DELETE FROM audit_log WHERE sequence = 3") }
        }
        // Someone with raw access removes the guard and rewrites an event.
        try await store.pool.write { db in
            try db.execute(sql: "DROP TRIGGER audit_log_append_only_update")
            try db.execute(sql: #"UPDATE audit_log SET details = '{"changed":"nothing"}' WHERE sequence = 2"#)
        }
        #expect(
            try await store.verifyAuditChain() == .broken(atSequence: 2, reason: "its content does not match its hash"))
    }
}
