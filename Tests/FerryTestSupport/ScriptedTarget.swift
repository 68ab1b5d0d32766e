import FerryConfig
import FerryMigration
import Foundation
import Synchronization

/// A `ProvisioningTarget` that answers from a script (the same answer, or one
/// per call) and keeps the jobs it was given.
public final class ScriptedTarget: ProvisioningTarget {
    public let kind: TargetSettings.TargetKind
    public let answers: Mutex<[TargetOutcome]>
    public let fallback: TargetOutcome
    public let received = Mutex<[ProvisioningJob]>([])

    public init(kind: TargetSettings.TargetKind = .scim, answers: [TargetOutcome] = [], otherwise: TargetOutcome) {
        self.kind = kind
        self.answers = Mutex(answers)
        fallback = otherwise
    }

    public func provision(_ job: ProvisioningJob) async -> TargetOutcome {
        received.withLock { $0.append(job) }
        return answers.withLock { $0.isEmpty ? fallback : $0.removeFirst() }
    }

    public var calls: Int { received.withLock { $0.count } }
}
