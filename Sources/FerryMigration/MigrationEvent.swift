/// What the engine reports to metrics. Carries no identifier and no secret.
public enum MigrationEvent: Equatable, Sendable {
    case login(LoginOutcome)
    /// One call to the provisioning target: `via` is `login` or `outbox`;
    /// `result` is created, already_there, conflict, rejected or unavailable.
    case provisioning(via: String, result: String)
    /// A user had a factor the target cannot hold; `policy` says what happened.
    case mfaNotCarried(policy: String)
    /// Ferry judged a password wrong and legacy accepted the login: Ferry's
    /// reading of the legacy record differs from legacy's own.
    case disagreement
    /// A signed checkpoint of the audit chain's head was written.
    case auditCheckpoint(sequence: Int64)
}

extension TargetOutcome {
    var label: String {
        switch self {
        case .created: return "created"
        case .alreadyThere: return "already_there"
        case .conflict: return "conflict"
        case .rejected: return "rejected"
        case .unavailable: return "unavailable"
        }
    }
}

/// Exponential backoff for outbox retries: `initial · 2^attempt`, capped at
/// `ceiling`, spread by `jitter` (0…1, a fraction of the delay) so that jobs
/// queued together do not retry together.
public enum RetryBackoff {
    public static func delay(attempt: Int, initial: Duration, ceiling: Duration, jitter: Double = 0) -> Duration {
        let base = initial * Int(1 << min(max(attempt, 0), 30))
        let capped = min(base, ceiling)
        let spread = max(0, min(jitter, 1))
        return capped * (1 - spread * 0.5)
    }
}
