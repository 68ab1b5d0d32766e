import FerryStore
import Foundation
import Synchronization

/// `StateStore` in memory, with the SQLite store's semantics (one claim wins,
/// completion and failure close the job and append an audit event), for
/// engine tests that need no database. `failing` makes named operations throw,
/// as a locked or vanished database would.
public final class InMemoryStateStore: StateStore {
    public struct Failure: Error, CustomStringConvertible {
        public var operation: String
        public var description: String { "\(operation): database is locked" }
    }

    struct Contents {
        var records: [String: MigrationRecord] = [:]
        var jobs: [Int64: (job: OutboxJob, completed: Bool)] = [:]
        var nextJobID: Int64 = 1
        var tally: [LoginTallyKey: Int] = [:]
        var sessions: [String: ObservedSession] = [:]
        var audit: [AuditEvent] = []
        var instances: [String: InstanceRecord] = [:]
        var guardEvents: [StoredGuardEvent] = []
    }

    let contents = Mutex(Contents())
    /// Operation names (`record`, `seen`, `claimProvisioning` …) that throw.
    public let failing = Mutex<Set<String>>([])
    /// How many times each operation was called.
    public let calls = Mutex<[String: Int]>([:])

    public init() {}

    private func enter(_ operation: String = #function) throws {
        let name = String(operation.prefix { $0 != "(" })
        calls.withLock { $0[name, default: 0] += 1 }
        if failing.withLock({ $0.contains(name) }) { throw Failure(operation: name) }
    }

    public func calls(_ operation: String) -> Int { calls.withLock { $0[operation] ?? 0 } }

    public func record(for identifier: String) async throws -> MigrationRecord? {
        try enter()
        return contents.withLock { $0.records[identifier] }
    }

    public func seen(_ identifier: String, legacyID: String?, legacyScheme: String?, at: Date) async throws
        -> MigrationRecord
    {
        try enter()
        return contents.withLock { contents in
            var record =
                contents.records[identifier]
                ?? MigrationRecord(
                    identifier: identifier, firstSeenAt: at, updatedAt: at)
            record.legacyID = legacyID ?? record.legacyID
            record.legacyScheme = legacyScheme ?? record.legacyScheme
            record.updatedAt = at
            contents.records[identifier] = record
            return record
        }
    }

    public func claimProvisioning(_ identifier: String, job payload: [UInt8], at: Date, leaseUntil: Date) async throws
        -> ProvisioningClaim
    {
        try enter()
        return try contents.withLock { contents in
            guard var record = contents.records[identifier] else { throw StateStoreError.unknownIdentifier }
            switch record.state {
            case .provisioning: return .alreadyProvisioning
            case .migrated: return .alreadyMigrated
            case .failed: return .notEligible(.failed)
            case .legacy, .skipped: break
            }
            record.state = .provisioning
            record.attempts += 1
            record.updatedAt = at
            contents.records[identifier] = record
            let id = contents.nextJobID
            contents.nextJobID += 1
            contents.jobs[id] = (
                OutboxJob(
                    id: id, identifier: identifier, payload: payload, attempts: 0, nextAttemptAt: leaseUntil,
                    lastError: nil), false
            )
            return .claimed(jobID: id)
        }
    }

    public func completeMigration(_ completion: MigrationCompletion, at: Date) async throws {
        try enter()
        try contents.withLock { contents in
            guard var record = contents.records[completion.identifier] else {
                throw StateStoreError.unknownIdentifier
            }
            record.state = .migrated
            record.newID = completion.newID
            record.mfaSummary = completion.mfaSummary
            record.consentSummary = completion.consentSummary
            record.newLogin = completion.newLogin
            record.migratedAt = at
            record.updatedAt = at
            record.lastFailure = nil
            contents.records[completion.identifier] = record
            contents.jobs[completion.jobID]?.completed = true
            Self.append(
                &contents, kind: "migrated", identifier: completion.identifier, details: completion.audit, at: at)
        }
    }

    public func markFailed(
        _ identifier: String, state: MigrationState, reason: String, closingJob jobID: Int64?,
        audit: [String: String], at: Date
    ) async throws {
        try enter()
        try contents.withLock { contents in
            guard var record = contents.records[identifier] else { throw StateStoreError.unknownIdentifier }
            record.state = state
            record.lastFailure = reason
            record.updatedAt = at
            contents.records[identifier] = record
            if let jobID { contents.jobs[jobID]?.completed = true }
            let kind = state == .legacy ? "migration_released" : "migration_\(state.rawValue)"
            Self.append(&contents, kind: kind, identifier: identifier, details: audit, at: at)
        }
    }

    public func recordFailedLogin(_ identifier: String, at: Date) async throws {
        try enter()
        contents.withLock { contents in
            contents.records[identifier]?.failures += 1
            contents.records[identifier]?.updatedAt = at
        }
    }

    public func recordWouldMigrate(_ identifier: String, at: Date) async throws {
        try enter()
        contents.withLock { contents in
            contents.records[identifier]?.wouldMigrateAt = at
            contents.records[identifier]?.updatedAt = at
        }
    }

    public func leaseDueJobs(at: Date, limit: Int, until: Date, owner: String) async throws -> [OutboxJob] {
        try enter()
        return contents.withLock { contents in
            let due = contents.jobs.values.filter { !$0.completed && $0.job.nextAttemptAt <= at }.map(\.job)
                .sorted { $0.nextAttemptAt < $1.nextAttemptAt }.prefix(limit)
            for job in due { contents.jobs[job.id]?.job.nextAttemptAt = until }
            return due.map { contents.jobs[$0.id]!.job }.sorted { $0.id < $1.id }
        }
    }

    public func pruneFinishedJobs(completedBefore cutoff: Date) async throws -> Int {
        try enter()
        return contents.withLock { contents in
            let before = contents.jobs.count
            contents.jobs = contents.jobs.filter { !$0.value.completed }
            return before - contents.jobs.count
        }
    }

    public func pruneLoginTally(before hour: Int) async throws -> Int {
        try enter()
        return contents.withLock { contents in
            let before = contents.tally.count
            contents.tally = contents.tally.filter { $0.key.hour >= hour }
            return before - contents.tally.count
        }
    }

    public func publishGuardEvents(_ events: [GuardEvent]) async throws {
        try enter()
        contents.withLock { contents in
            for event in events {
                contents.guardEvents.append(
                    StoredGuardEvent(id: Int64(contents.guardEvents.count + 1), insertedAt: Date(), event: event))
            }
        }
    }

    public func guardEvents(insertedSince since: Date, limit: Int) async throws -> [StoredGuardEvent] {
        try enter()
        return contents.withLock { Array($0.guardEvents.filter { $0.insertedAt >= since }.prefix(limit)) }
    }

    public func pruneGuardEvents(before cutoff: Date) async throws -> Int {
        try enter()
        return contents.withLock { contents in
            let before = contents.guardEvents.count
            contents.guardEvents.removeAll { $0.insertedAt < cutoff }
            return before - contents.guardEvents.count
        }
    }

    public func heartbeat(_ instance: InstanceRecord) async throws {
        try enter()
        contents.withLock { contents in
            var record = instance
            record.startedAt = contents.instances[instance.id]?.startedAt ?? instance.startedAt
            contents.instances[instance.id] = record
        }
    }

    public func instances() async throws -> [InstanceRecord] {
        try enter()
        return contents.withLock { $0.instances.values.sorted { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) } }
    }

    public func pruneInstances(silentSince cutoff: Date) async throws -> Int {
        try enter()
        return contents.withLock { contents in
            let before = contents.instances.count
            contents.instances = contents.instances.filter { $0.value.heartbeatAt >= cutoff }
            return before - contents.instances.count
        }
    }

    public func rescheduleJob(_ id: Int64, nextAttemptAt: Date, error: String) async throws {
        try enter()
        contents.withLock { contents in
            contents.jobs[id]?.job.attempts += 1
            contents.jobs[id]?.job.nextAttemptAt = nextAttemptAt
            contents.jobs[id]?.job.lastError = error
        }
    }

    public func pendingJob(for identifier: String) async throws -> OutboxJob? {
        try enter()
        return contents.withLock { contents in
            contents.jobs.values.filter { !$0.completed && $0.job.identifier == identifier }.map(\.job)
                .max { $0.id < $1.id }
        }
    }

    public func identifiers(in state: MigrationState, limit: Int) async throws -> [String] {
        try enter()
        return contents.withLock { contents in
            Array(
                contents.records.values.filter { $0.state == state }.sorted { $0.updatedAt < $1.updatedAt }
                    .map(\.identifier).prefix(limit))
        }
    }

    public func pendingJobCount() async throws -> Int {
        try enter()
        return contents.withLock { $0.jobs.values.filter { !$0.completed }.count }
    }

    public func addLoginTally(_ counts: [LoginTallyKey: Int]) async throws {
        try enter()
        contents.withLock { $0.tally.merge(counts, uniquingKeysWith: +) }
    }

    public func statusFigures(at: Date) async throws -> StoreFigures {
        try enter()
        return contents.withLock { contents in
            var figures = StoreFigures(at: at)
            for record in contents.records.values { figures.records[record.state, default: 0] += 1 }
            figures.migratedUsers = figures.records[.migrated] ?? 0
            figures.wouldMigrate =
                contents.records.values.filter { $0.wouldMigrateAt != nil && $0.state != .migrated }
                .count
            figures.outboxBacklog = contents.jobs.values.filter { !$0.completed }.count
            for (key, count) in contents.tally {
                figures.logins["\(key.destination):\(key.reason)", default: 0] += count
            }
            return figures
        }
    }

    public func migratedLegacyIDs() async throws -> Set<String> {
        try enter()
        return contents.withLock { Set($0.records.values.filter { $0.state == .migrated }.compactMap(\.legacyID)) }
    }

    public func hasMigrated(legacyID: String) async throws -> Bool {
        try enter()
        return contents.withLock { $0.records.values.contains { $0.legacyID == legacyID && $0.state == .migrated } }
    }

    public func recordLegacySession(_ session: ObservedSession) async throws {
        try enter()
        contents.withLock { $0.sessions[session.idHash] = session }
    }

    public func legacySession(idHash: String) async throws -> ObservedSession? {
        try enter()
        return contents.withLock { $0.sessions[idHash] }
    }

    public func endLegacySession(idHash: String, at: Date) async throws {
        try enter()
        contents.withLock { $0.sessions[idHash]?.endedAt = at }
    }

    public func pruneLegacySessions(endedBefore cutoff: Date) async throws -> Int {
        try enter()
        return contents.withLock { contents in
            let old = contents.sessions.filter { _, session in
                (session.endedAt ?? session.expiresAt ?? .distantFuture) < cutoff
            }
            for key in old.keys { contents.sessions.removeValue(forKey: key) }
            return old.count
        }
    }

    public func sessionDrain(at: Date) async throws -> SessionDrain {
        try enter()
        return contents.withLock { contents in
            let alive = contents.sessions.values.filter { $0.isAlive(at: at) }
            let cookies = alive.filter { $0.kind == .cookie }
            let tokens = alive.filter { $0.kind == .token }
            return SessionDrain(
                sessionsAlive: cookies.count, usersWithSessions: Set(cookies.compactMap(\.identifier)).count,
                lastSessionExpiry: cookies.compactMap(\.expiresAt).max(), tokensAlive: tokens.count,
                usersWithTokens: Set(tokens.compactMap(\.identifier)).count,
                lastTokenExpiry: tokens.compactMap(\.expiresAt).max(),
                withoutExpiry: alive.filter { $0.expiresAt == nil }.count)
        }
    }

    public func appendAudit(kind: String, identifier: String?, details: [String: String], at: Date) async throws
        -> AuditEvent
    {
        try enter()
        return contents.withLock { Self.append(&$0, kind: kind, identifier: identifier, details: details, at: at) }
    }

    /// A chain by sequence only: the SQLite store's hashes are tested there.
    @discardableResult
    private static func append(
        _ contents: inout Contents, kind: String, identifier: String?, details: [String: String], at: Date
    ) -> AuditEvent {
        let sequence = Int64(contents.audit.count + 1)
        let text = details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        let event = AuditEvent(
            sequence: sequence, at: at, kind: kind, identifier: identifier, details: text,
            previousHash: contents.audit.last?.hash ?? "genesis", hash: "event-\(sequence)")
        contents.audit.append(event)
        return event
    }

    public func verifyAuditChain() async throws -> AuditVerification {
        try enter()
        return contents.withLock { .intact(events: $0.audit.count) }
    }

    public func auditHead() async throws -> (sequence: Int64, hash: String)? {
        try enter()
        return contents.withLock { $0.audit.last.map { ($0.sequence, $0.hash) } }
    }

    public func auditEvents(after sequence: Int64, limit: Int) async throws -> [AuditEvent] {
        try enter()
        return contents.withLock { Array($0.audit.filter { $0.sequence > sequence }.prefix(limit)) }
    }

    /// Audit event kinds, oldest first.
    public var auditKinds: [String] { contents.withLock { $0.audit.map(\.kind) } }
    /// Jobs not yet completed.
    public var openJobs: [OutboxJob] { contents.withLock { $0.jobs.values.filter { !$0.completed }.map(\.job) } }
}
