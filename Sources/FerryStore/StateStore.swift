import Foundation

/// Ferry's durable state: one SQLite file for a single instance, or PostgreSQL
/// shared by several instances behind one balancer.
public protocol StateStore: Sendable {
    func record(for identifier: String) async throws -> MigrationRecord?

    /// Notes a login for `identifier`, creating its record in `legacy` state.
    func seen(_ identifier: String, legacyID: String?, legacyScheme: String?, at: Date) async throws -> MigrationRecord

    /// Atomically moves the user from `legacy` (or `skipped`) to `provisioning`
    /// and queues the job, so that of many simultaneous logins exactly one
    /// provisions. The job is leased to the caller until `leaseUntil`; after that
    /// the outbox retrier may take it (the caller crashed or gave up).
    func claimProvisioning(_ identifier: String, job payload: [UInt8], at: Date, leaseUntil: Date) async throws
        -> ProvisioningClaim

    /// In one transaction: the user becomes `migrated`, the job is done, and the
    /// audit event is appended.
    func completeMigration(_ completion: MigrationCompletion, at: Date) async throws
    /// In one transaction: the user leaves provisioning for `state` (`failed`,
    /// `skipped`, or `legacy` to release the claim), the job (if any) is closed,
    /// and the audit event is appended.
    func markFailed(
        _ identifier: String, state: MigrationState, reason: String, closingJob jobID: Int64?,
        audit: [String: String], at: Date
    ) async throws
    func recordFailedLogin(_ identifier: String, at: Date) async throws
    /// Shadow mode: the password was right and the user would have migrated.
    func recordWouldMigrate(_ identifier: String, at: Date) async throws

    /// Leases up to `limit` jobs due at `at` to `owner` until `until`: no
    /// other caller, on any instance, is offered them before then.
    func leaseDueJobs(at: Date, limit: Int, until: Date, owner: String) async throws -> [OutboxJob]
    func rescheduleJob(_ id: Int64, nextAttemptAt: Date, error: String) async throws
    func pendingJobCount() async throws -> Int
    /// Deletes finished jobs (their payloads are already gone) completed before `cutoff`.
    @discardableResult
    func pruneFinishedJobs(completedBefore cutoff: Date) async throws -> Int
    /// The user's open outbox job, if any (operator verbs).
    func pendingJob(for identifier: String) async throws -> OutboxJob?
    /// Users in `state`, oldest update first, at most `limit`.
    func identifiers(in state: MigrationState, limit: Int) async throws -> [String]

    /// Adds login counts (flushed in batches, not per login).
    func addLoginTally(_ counts: [LoginTallyKey: Int]) async throws
    /// Deletes tally hours before `hour` (hours since 1970).
    @discardableResult
    func pruneLoginTally(before hour: Int) async throws -> Int
    func statusFigures(at: Date) async throws -> StoreFigures
    func migratedLegacyIDs() async throws -> Set<String>
    func hasMigrated(legacyID: String) async throws -> Bool

    func recordLegacySession(_ session: ObservedSession) async throws
    func legacySession(idHash: String) async throws -> ObservedSession?
    func endLegacySession(idHash: String, at: Date) async throws
    /// Deletes sessions that ended, or expired, before `cutoff`; returns how many.
    @discardableResult
    func pruneLegacySessions(endedBefore cutoff: Date) async throws -> Int
    func sessionDrain(at: Date) async throws -> SessionDrain

    /// Shares guard events with the other instances.
    func publishGuardEvents(_ events: [GuardEvent]) async throws
    /// Events the database took at or after `since` (its own clock), oldest
    /// first, at most `limit`. Readers overlap their windows and skip rows
    /// they have seen: a row numbered lower may commit after a higher one.
    func guardEvents(insertedSince since: Date, limit: Int) async throws -> [StoredGuardEvent]
    @discardableResult
    func pruneGuardEvents(before cutoff: Date) async throws -> Int

    /// Registers the instance, or refreshes its heartbeat and config digest.
    func heartbeat(_ instance: InstanceRecord) async throws
    func instances() async throws -> [InstanceRecord]
    @discardableResult
    func pruneInstances(silentSince cutoff: Date) async throws -> Int

    @discardableResult
    func appendAudit(kind: String, identifier: String?, details: [String: String], at: Date) async throws -> AuditEvent
    func verifyAuditChain() async throws -> AuditVerification
    /// The newest event's sequence and hash; nil while the log is empty.
    func auditHead() async throws -> (sequence: Int64, hash: String)?
    /// Events after `sequence`, oldest first, at most `limit`.
    func auditEvents(after sequence: Int64, limit: Int) async throws -> [AuditEvent]
}
