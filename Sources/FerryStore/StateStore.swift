import Foundation

/// Ferry's durable state. SQLite now; the protocol leaves room for a PostgreSQL
/// implementation shared by several Ferry instances.
public protocol StateStore: Sendable {
    func record(for identifier: String) throws -> MigrationRecord?

    /// Notes a login for `identifier`, creating its record in `legacy` state.
    func seen(_ identifier: String, legacyID: String?, legacyScheme: String?, at: Date) throws -> MigrationRecord

    /// Atomically moves the user from `legacy` to `provisioning` and queues the
    /// job, so that of many simultaneous logins exactly one provisions.
    func claimProvisioning(_ identifier: String, job payload: [UInt8], at: Date) throws -> ProvisioningClaim

    func markMigrated(_ identifier: String, newID: String, mfaSummary: String?, consentSummary: String?, at: Date)
        throws
    func markFailed(_ identifier: String, state: MigrationState, reason: String, at: Date) throws
    func recordFailedLogin(_ identifier: String, at: Date) throws

    func dueJobs(at: Date, limit: Int) throws -> [OutboxJob]
    func completeJob(_ id: Int64, at: Date) throws
    func rescheduleJob(_ id: Int64, nextAttemptAt: Date, error: String) throws
    func pendingJobCount() throws -> Int

    @discardableResult
    func appendAudit(kind: String, identifier: String?, details: [String: String], at: Date) throws -> AuditEvent
    func verifyAuditChain() throws -> AuditVerification
}
