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

    @Test func claimsFollowTheStateMachine() async throws {
        let (store, _) = try Self.makeStore()
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
    @Test func concurrentClaimsProduceOneJob() async throws {
        let (store, _) = try Self.makeStore()
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

    @Test func outboxJobsAreDueRescheduledAndCompleted() async throws {
        let (store, path) = try Self.makeStore()
        _ = try await store.seen("dan@example.com", legacyID: "1", legacyScheme: "md5", at: now)
        let claim = try await store.claimProvisioning(
            "dan@example.com", job: Array("sealed".utf8), at: now, leaseUntil: now.addingTimeInterval(15))
        guard case .claimed = claim else {
            Issue.record("the claim must win")
            return
        }
        #expect(try await store.dueJobs(at: now, limit: 10).isEmpty, "the login holding the lease works on it")
        let job = try #require(try await store.dueJobs(at: now.addingTimeInterval(15), limit: 10).first)
        #expect(job.payload == Array("sealed".utf8))
        try await store.rescheduleJob(job.id, nextAttemptAt: now.addingTimeInterval(30), error: "target unreachable")
        #expect(try await store.dueJobs(at: now.addingTimeInterval(10), limit: 10).isEmpty)
        let retry = try #require(try await store.dueJobs(at: now.addingTimeInterval(31), limit: 10).first)
        #expect(retry.attempts == 1)
        #expect(retry.lastError == "target unreachable")

        // A restart (a new store on the same file) sees the same pending job.
        let reopened = try SQLiteStateStore(path: path)
        #expect(try await reopened.pendingJobCount() == 1)
        try await reopened.completeMigration(
            MigrationCompletion(
                identifier: "dan@example.com", jobID: retry.id, newID: "u-9", mfaSummary: nil, consentSummary: nil,
                audit: [:]), at: now.addingTimeInterval(32))
        #expect(try await reopened.pendingJobCount() == 0)
        let payload = try await reopened.pool.read { db in
            try Data.fetchOne(db, sql: "SELECT payload FROM outbox WHERE id = ?", arguments: [retry.id])
        }
        #expect(payload == Data(), "sealed secrets are dropped once the job is done")
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
