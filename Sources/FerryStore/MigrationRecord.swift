import Foundation

/// Where one user stands in the migration.
public enum MigrationState: String, CaseIterable, Sendable {
    /// Seen, still served by legacy.
    case legacy
    /// Claimed by one login; provisioning is under way or queued in the outbox.
    case provisioning
    case migrated
    /// Provisioning was refused by the target (a conflict, a rejected record).
    case failed
    /// Deliberately left on legacy (policy such as an MFA factor the target cannot hold).
    case skipped
}

/// One row per user Ferry has seen, keyed by the normalized identifier.
public struct MigrationRecord: Equatable, Sendable {
    public var identifier: String
    public var legacyID: String?
    public var newID: String?
    public var state: MigrationState
    public var legacyScheme: String?
    public var mfaSummary: String?
    public var consentSummary: String?
    public var firstSeenAt: Date
    public var updatedAt: Date
    public var migratedAt: Date?
    public var attempts: Int
    public var failures: Int
    public var lastFailure: String?
    /// Shadow mode: the last time a right password would have migrated the user.
    public var wouldMigrateAt: Date?
    /// The name the user was provisioned under (username, else email): the
    /// identifier the new platform knows, whatever variant the user types.
    public var newLogin: String?

    public init(
        identifier: String, legacyID: String? = nil, newID: String? = nil, state: MigrationState = .legacy,
        legacyScheme: String? = nil, mfaSummary: String? = nil, consentSummary: String? = nil, firstSeenAt: Date,
        updatedAt: Date, migratedAt: Date? = nil, attempts: Int = 0, failures: Int = 0, lastFailure: String? = nil,
        wouldMigrateAt: Date? = nil, newLogin: String? = nil
    ) {
        self.identifier = identifier
        self.legacyID = legacyID
        self.newID = newID
        self.state = state
        self.legacyScheme = legacyScheme
        self.mfaSummary = mfaSummary
        self.consentSummary = consentSummary
        self.firstSeenAt = firstSeenAt
        self.updatedAt = updatedAt
        self.migratedAt = migratedAt
        self.attempts = attempts
        self.failures = failures
        self.lastFailure = lastFailure
        self.wouldMigrateAt = wouldMigrateAt
        self.newLogin = newLogin
    }
}

/// Everything recorded when a user's provisioning succeeded.
public struct MigrationCompletion: Equatable, Sendable {
    public var identifier: String
    public var jobID: Int64
    public var newID: String
    public var mfaSummary: String?
    public var consentSummary: String?
    /// Non-secret facts for the audit event.
    public var audit: [String: String]
    /// The name the user was provisioned under.
    public var newLogin: String?

    public init(
        identifier: String, jobID: Int64, newID: String, mfaSummary: String?, consentSummary: String?,
        audit: [String: String], newLogin: String? = nil
    ) {
        self.newLogin = newLogin
        self.identifier = identifier
        self.jobID = jobID
        self.newID = newID
        self.mfaSummary = mfaSummary
        self.consentSummary = consentSummary
        self.audit = audit
    }
}

/// The answer to "may this login provision the user?"
public enum ProvisioningClaim: Equatable, Sendable {
    /// This caller won the claim and must provision the user; the job is in
    /// the outbox under this id.
    case claimed(jobID: Int64)
    /// Another login already claimed the user; do not provision again.
    case alreadyProvisioning
    case alreadyMigrated
    /// The user is failed or skipped; leave them on legacy.
    case notEligible(MigrationState)
}

/// A provisioning job, written before the target is called and completed after.
public struct OutboxJob: Equatable, Sendable {
    public var id: Int64
    public var identifier: String
    /// Opaque to the store: the migration engine seals secrets before they arrive.
    public var payload: [UInt8]
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?

    public init(
        id: Int64, identifier: String, payload: [UInt8], attempts: Int, nextAttemptAt: Date, lastError: String?
    ) {
        self.id = id
        self.identifier = identifier
        self.payload = payload
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
    }
}

/// One audit event as stored, with its place in the hash chain.
public struct AuditEvent: Equatable, Sendable {
    public var sequence: Int64
    public var at: Date
    public var kind: String
    public var identifier: String?
    /// Non-secret facts (scheme names, states, counts) as sorted-key JSON.
    public var details: String
    public var previousHash: String
    public var hash: String

    public init(
        sequence: Int64, at: Date, kind: String, identifier: String?, details: String, previousHash: String,
        hash: String
    ) {
        self.sequence = sequence
        self.at = at
        self.kind = kind
        self.identifier = identifier
        self.details = details
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// Result of walking the audit chain.
public enum AuditVerification: Equatable, Sendable {
    case intact(events: Int)
    /// The first event whose hash does not follow from its predecessor's.
    case broken(atSequence: Int64, reason: String)
}
