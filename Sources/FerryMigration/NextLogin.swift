import FerryConfig
import FerryStore
import Foundation

/// What a user's next login would do, and why, in words an operator can act
/// on (`ferry users show`). A pure function of what Ferry knows: the record,
/// the open job, the eligibility rules and what the legacy source says.
public enum NextLogin {
    /// What the legacy source says about the identifier.
    public enum LegacyAnswer: Equatable, Sendable {
        /// `factorsNotCarried`: `LegacyAccount.factorsNotCarried(targetHolds:)`.
        case found(active: Bool, hold: String?, factorsNotCarried: [String])
        case notFound
        case unavailable(String)
    }

    public static func explain(
        identifier: String, record: MigrationRecord?, job: OutboxJob?, eligibility: Eligibility,
        settings: MigrationSettings, legacy: LegacyAnswer
    ) -> String {
        switch record?.state {
        case .migrated:
            return "goes to the new platform: the user is migrated."
        case .provisioning:
            guard let job else {
                return
                    "goes to legacy while the user is being provisioned (no open job: `ferry users release \(identifier)` lets the next login start again)."
            }
            let error = job.lastError.map { "; last error: \($0)" } ?? ""
            return
                "goes to legacy while the provisioning job is pending (attempt \(job.attempts + 1) due \(timestamp(job.nextAttemptAt))\(error)); `ferry users retry \(identifier)` runs it now."
        case .failed:
            return
                "goes to legacy: provisioning failed (\(record?.lastFailure ?? "no reason recorded")). Fix the cause, then `ferry users retry \(identifier)` lets the next login migrate."
        case .legacy, .skipped, nil:
            break
        }
        switch legacy {
        case .unavailable(let reason):
            return "goes to legacy: the legacy source cannot be read (\(reason))."
        case .notFound:
            switch settings.unknownIdentifier {
            case .legacy:
                return
                    "goes to legacy: the legacy source does not know this identifier (unknown_identifier = \"legacy\")."
            case .new:
                return
                    "goes to the new platform: the legacy source does not know this identifier (unknown_identifier = \"new\")."
            case .lookup:
                return
                    "goes to the new platform if it holds this identifier, else to \(settings.unknownToBoth.rawValue): the legacy source does not know it (unknown_identifier = \"lookup\")."
            }
        case .found(let active, let hold, let missing):
            if case .ineligible(let reason) = eligibility {
                switch reason {
                case .modeOff: return "goes to legacy untouched: migration.mode is \"off\"."
                case .denied: return "goes to legacy untouched: the identifier matches migration.deny."
                case .outsideRollout:
                    return
                        "goes to legacy untouched: outside the rollout (rollout_percent = \(settings.rolloutPercent)); raise it or add the identifier to migration.allow."
                case .rateLimited: return "goes to legacy untouched: the migration rate is spent."
                }
            }
            if !active { return "goes to legacy: the legacy account is disabled." }
            let skipped = record?.state == .skipped ? " (skipped before: \(record?.lastFailure ?? "no reason")). " : " "
            if let hold { return "goes to legacy after the password is verified:\(skipped)\(hold)." }
            if !missing.isEmpty && settings.unsupportedMFA == .keepOnLegacy {
                let names = missing.joined(separator: ", ")
                return
                    "goes to legacy after the password is verified:\(skipped)\(names) cannot be carried to the target (unsupported_mfa = \"keep_on_legacy\")."
            }
            if settings.mode == .shadow {
                return
                    "a right password is verified and recorded as \"would migrate\"; the login goes to legacy (shadow mode)."
            }
            let reenroll =
                missing.isEmpty
                ? ""
                : " \(missing.joined(separator: ", ")) cannot be carried to the target: the user will be asked to enroll again."
            return
                "a right password migrates the user and sends them to the new platform (the migration rate permitting); a wrong one goes to legacy.\(reenroll)"
        }
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
