import AsyncHTTPClient
import FerryConfig
import Foundation

/// Creates a migrated user on the new platform. Every target is idempotent: a
/// retried job finds its own user rather than making a second one, and a
/// different user holding the same identifier is a conflict, never overwritten.
public protocol ProvisioningTarget: Sendable {
    var kind: TargetSettings.TargetKind { get }
    func provision(_ job: ProvisioningJob) async -> TargetOutcome
    /// `check-config --connect`: one harmless call that proves the target is
    /// reachable and accepts Ferry's credentials. nil when it does; otherwise
    /// what an operator should fix.
    func probe() async -> String?
    /// Whether the new platform holds a user with this (normalized)
    /// identifier, for `migration.unknown_identifier = "lookup"`; nil when it
    /// cannot be asked or did not answer.
    func holdsUser(_ identifier: String) async -> Bool?
}

extension ProvisioningTarget {
    public func probe() async -> String? { nil }
    public func holdsUser(_ identifier: String) async -> Bool? { nil }
}

/// Builds the target a config names.
public enum ProvisioningTargets {
    /// How Ferry's HTTP client talks to SCIM and webhook targets.
    public static var clientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        // A target that is down should fail the call now, so the login goes to
        // legacy at once and the outbox retries later.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(5))
        return configuration
    }

    public static func make(_ settings: TargetSettings, client: HTTPClient) throws -> any ProvisioningTarget {
        switch settings.kind {
        case .sql:
            if case .postgres = settings.database { return try PostgresSQLTarget(settings: settings) }
            if case .mysql = settings.database { return try MySQLSQLTarget(settings: settings) }
            return try SQLTarget(settings: settings)
        case .scim: return try SCIMTarget(settings: settings, client: client)
        case .webhook: return try WebhookTarget(settings: settings, client: client)
        }
    }
}

/// How `probe()` reads the status an HTTP target answered.
enum ProbeAnswer {
    static func problem(status: UInt, target: String, call: String) -> String? {
        switch status {
        case 200..<300: return nil
        case 401, 403: return "\(target) refused Ferry's credentials (\(status) to \(call)); check the token or key"
        case 404: return "\(target) answered 404 to \(call); check target.url"
        default: return "\(target) answered \(status) to \(call)"
        }
    }
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
