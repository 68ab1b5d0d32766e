import FerryConfig
import Foundation

/// Creates a migrated user on the new platform. Every target is idempotent: a
/// retried job finds its own user rather than making a second one, and a
/// different user holding the same identifier is a conflict, never overwritten.
public protocol ProvisioningTarget: Sendable {
    var kind: TargetSettings.TargetKind { get }
    func provision(_ job: ProvisioningJob) async -> TargetOutcome
}

/// What a target said. Reasons are for operators: status codes and SQLite
/// messages, never a value from the record.
public enum TargetOutcome: Equatable, Sendable {
    case created(newID: String)
    /// This job's user was already there (an earlier attempt got through).
    case alreadyThere(newID: String)
    case conflict(String)
    /// The target refused the record; retrying would not help.
    case rejected(String)
    /// Down, slow or failing: retry later.
    case unavailable(String)

    public var result: ProvisioningResult {
        switch self {
        case .created: return .created
        case .alreadyThere: return .alreadyThere
        case .conflict: return .conflict
        case .rejected: return .rejected
        case .unavailable: return .targetUnavailable
        }
    }

    /// HTTP targets: how a status code (other than success and 409) is read.
    static func forStatus(_ code: UInt, target: String) -> TargetOutcome {
        switch code {
        // Auth failures and throttling are fixed by an operator or by time, not by
        // changing the record: keep the job and retry.
        case 401, 403, 408, 425, 429: return .unavailable("\(target) answered \(code)")
        case 400..<500: return .rejected("\(target) answered \(code)")
        default: return .unavailable("\(target) answered \(code)")
        }
    }
}
