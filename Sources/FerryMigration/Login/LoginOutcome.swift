/// Where a login was sent, and why.
public struct LoginOutcome: Equatable, Sendable {
    public enum Destination: String, Sendable {
        case legacy, new
        /// Fail-closed: the state store is unavailable and policy says refuse.
        case reject
        /// The brute-force guard refuses the login for `retryAfter` seconds.
        case throttle
    }

    public var destination: Destination
    public var reason: LoginReason
    /// Seconds until a throttled login may try again.
    public var retryAfter: Int?

    public init(destination: Destination, reason: LoginReason, retryAfter: Int? = nil) {
        self.destination = destination
        self.reason = reason
        self.retryAfter = retryAfter
    }

    public static func legacy(_ reason: LegacyReason) -> LoginOutcome {
        .init(destination: .legacy, reason: .legacy(reason))
    }
    public static func new(_ reason: NewReason) -> LoginOutcome { .init(destination: .new, reason: .new(reason)) }

    /// `destination:reason`, as the access log writes it.
    public var label: String { destination.rawValue + ":" + reason.label }
}

/// Why a login went where it went. The label is a fixed word, safe as a metric
/// label; metrics, the access log, the status report and the tally spell it so.
public enum LoginReason: Hashable, Sendable {
    case new(NewReason)
    case legacy(LegacyReason)
    /// Over the brute-force guard's limit with `over_limit = "reject"`.
    case tooManyFailures

    public var label: String {
        switch self {
        case .new(let reason): return reason.rawValue
        case .legacy(let reason): return reason.rawValue
        case .tooManyFailures: return "too_many_failures"
        }
    }
}
