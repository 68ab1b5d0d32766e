import FerryConfig
import FerryStore

/// What is known about a login so far. The engine gathers facts step by step
/// and asks `LoginDecision.next` what to do; the decision itself does no I/O.
public struct LoginFacts: Equatable, Sendable {
    /// nil when Ferry has never seen this user.
    public var state: MigrationState?
    public var eligibility: Eligibility
    public var mode: MigrationSettings.MigrationMode
    public var verification: Verification?
    public var provisioning: ProvisioningResult?

    public init(
        state: MigrationState?, eligibility: Eligibility, mode: MigrationSettings.MigrationMode,
        verification: Verification? = nil, provisioning: ProvisioningResult? = nil
    ) {
        self.state = state
        self.eligibility = eligibility
        self.mode = mode
        self.verification = verification
        self.provisioning = provisioning
    }
}

/// The outcome of checking the password against the legacy record.
public enum Verification: Equatable, Sendable {
    case match(MFAFit)
    /// The password is right, but the account is held on legacy by what it
    /// says about the user's privileges (`PrivilegeHold`).
    case held
    case mismatch
    case unknownUser
    /// `user_query` matched several users: legacy decides.
    case ambiguousIdentifier
    case disabledUser
    /// Unsupported, malformed or over the cost ceilings.
    case unusableHash
    case hashQueueFull
    case sourceUnavailable
    /// Legacy's answer to the forwarded login will tell (`[legacy.answer]
    /// mode = "forwarded"`); `ifAccepted` is what a right password means.
    indirect case awaitingAnswer(ifAccepted: Verification)
}

/// Whether the target can hold every MFA factor the user has.
public enum MFAFit: Equatable, Sendable {
    case carried
    /// Some factor cannot be carried; migrate and flag re-enrollment.
    case reenroll
    /// Some factor cannot be carried; leave the user on legacy for now.
    case keepOnLegacy
}

/// The outcome of claiming and provisioning the user.
public enum ProvisioningResult: Equatable, Sendable {
    case created
    /// The target already holds this very user (a retried job).
    case alreadyThere
    /// Another login holds the claim, or the user's state moved meanwhile.
    case claimLost(MigrationState)
    /// The target holds a different user with the same identifier.
    case conflict
    /// The target refused the record; retrying will not help.
    case rejected
    /// Down, slow or erroring: the job stays in the outbox.
    case targetUnavailable
    case hashQueueFull
    /// The migration rate budget was spent between the eligibility check and
    /// the claim.
    case rateLimited
}

/// The next thing to do with a login.
public enum LoginStep: Equatable, Sendable {
    case verifyPassword
    case provision
    case forwardToNew(NewReason)
    case forwardToLegacy(LegacyReason)
}

public enum NewReason: String, Equatable, Sendable, CaseIterable {
    case migrated
    case justMigrated = "just_migrated"
    /// Legacy does not know the identifier and the new platform does (or
    /// `unknown_identifier = "new"`): someone who signed up there.
    case newOnly = "new_only"
    /// Neither platform knows it, and `unknown_to_both = "new"`.
    case unknownToBoth = "unknown_to_both"
}

/// Why a login went to legacy; these are metric label values.
public enum LegacyReason: String, Equatable, Sendable, CaseIterable {
    case modeOff = "mode_off"
    case denied
    case outsideRollout = "outside_rollout"
    case rateLimited = "rate_limited"
    case shadow
    case wrongPassword = "wrong_password"
    case unknownUser = "unknown_user"
    case ambiguousIdentifier = "ambiguous_identifier"
    case disabledUser = "disabled_user"
    case unusableHash = "unusable_hash"
    case hashQueueFull = "hash_queue_full"
    case sourceUnavailable = "source_unavailable"
    case storeUnavailable = "store_unavailable"
    case mfaKeptOnLegacy = "mfa_kept_on_legacy"
    case heldOnLegacy = "held_on_legacy"
    case provisioningPending = "provisioning_pending"
    case failedBefore = "failed_before"
    case targetConflict = "target_conflict"
    case targetRejected = "target_rejected"
    case targetUnavailable = "target_unavailable"
    case noIdentifier = "no_identifier"
    /// Over the brute-force guard's limit with `over_limit = "legacy"`: sent on
    /// unverified, for legacy's own lockout to answer.
    case throttled
    /// Sent for legacy's verdict (`[legacy.answer] mode = "forwarded"`): the
    /// answer decides what follows.
    case awaitingAnswer = "awaiting_answer"
    /// Legacy's answer said the password was right, and the user was migrated.
    case migratedByAnswer = "migrated_by_answer"
    /// Legacy's answer matched no rule, or both kinds: nothing concluded.
    case answerUnclear = "answer_unclear"
}

/// DESIGN.md's "A login", steps 3–5, as a pure function.
public enum LoginDecision {
    public static func next(_ facts: LoginFacts) -> LoginStep {
        switch facts.state {
        case .migrated: return .forwardToNew(.migrated)
        case .provisioning: return .forwardToLegacy(.provisioningPending)
        case .failed: return .forwardToLegacy(.failedBefore)
        // Skipped users are looked at again: the target may hold their factors now.
        case nil, .legacy, .skipped: break
        }
        if case .ineligible(let reason) = facts.eligibility { return .forwardToLegacy(LegacyReason(reason)) }
        guard let verification = facts.verification else { return .verifyPassword }
        let fit: MFAFit
        switch verification {
        case .match(let mfa): fit = mfa
        case .mismatch: return .forwardToLegacy(.wrongPassword)
        case .held: return .forwardToLegacy(.heldOnLegacy)
        case .unknownUser: return .forwardToLegacy(.unknownUser)
        case .ambiguousIdentifier: return .forwardToLegacy(.ambiguousIdentifier)
        case .disabledUser: return .forwardToLegacy(.disabledUser)
        case .unusableHash: return .forwardToLegacy(.unusableHash)
        case .hashQueueFull: return .forwardToLegacy(.hashQueueFull)
        case .sourceUnavailable: return .forwardToLegacy(.sourceUnavailable)
        case .awaitingAnswer: return .forwardToLegacy(.awaitingAnswer)
        }
        if facts.mode != .migrate { return .forwardToLegacy(.shadow) }
        if fit == .keepOnLegacy { return .forwardToLegacy(.mfaKeptOnLegacy) }
        guard let provisioning = facts.provisioning else { return .provision }
        switch provisioning {
        case .created, .alreadyThere: return .forwardToNew(.justMigrated)
        case .claimLost(.migrated): return .forwardToNew(.migrated)
        case .claimLost(.provisioning): return .forwardToLegacy(.provisioningPending)
        case .claimLost: return .forwardToLegacy(.failedBefore)
        case .conflict: return .forwardToLegacy(.targetConflict)
        case .rejected: return .forwardToLegacy(.targetRejected)
        case .targetUnavailable: return .forwardToLegacy(.targetUnavailable)
        case .hashQueueFull: return .forwardToLegacy(.hashQueueFull)
        case .rateLimited: return .forwardToLegacy(.rateLimited)
        }
    }
}

extension LegacyReason {
    init(_ reason: Eligibility.Reason) {
        switch reason {
        case .modeOff: self = .modeOff
        case .denied: self = .denied
        case .outsideRollout: self = .outsideRollout
        case .rateLimited: self = .rateLimited
        }
    }
}

/// What the policy says about a user some of whose factors will not be carried.
public enum MFAPolicy {
    /// Factors that will not reach the target: kinds it cannot hold, then
    /// those legacy does not hand over (by legacy's names), each once.
    public static func notCarried(
        has factors: Set<MFAFactorKind>, unexported: [String], targetHolds supported: Set<MFAFactorKind>
    ) -> [String] {
        var names = factors.subtracting(supported).sorted().map(\.rawValue)
        for name in unexported where !names.contains(name) { names.append(name) }
        return names
    }

    /// `notCarried`: what `notCarried(has:unexported:targetHolds:)` answered.
    public static func fit(notCarried: [String], policy: MigrationSettings.UnsupportedMFAPolicy) -> MFAFit {
        guard !notCarried.isEmpty else { return .carried }
        switch policy {
        case .requireReenroll: return .reenroll
        case .keepOnLegacy: return .keepOnLegacy
        }
    }
}
