import FerryConfig
import FerryStore
import Foundation
import Logging

/// `ferry users retry`: a user's open outbox job run now, from the operator's
/// command line, after the cause (a target that was down, a statement that was
/// wrong) is fixed. The job is first pushed past the target's timeout so that
/// a running `ferry serve` does not take it at the same moment; its outcome is
/// recorded as the retrier records one (`via: operator`).
public enum OperatorRetry {
    public static func runNow(
        _ entry: OutboxJob, sealer: JobSealer, target: any ProvisioningTarget, targetSettings: TargetSettings,
        store: any StateStore, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> TargetOutcome? {
        guard let job = sealer.open(entry.payload, identifier: entry.identifier) else { return nil }
        let lease = MigrationEngine.seconds(targetSettings.timeout) * 2 + 5
        try await store.rescheduleJob(
            entry.id, nextAttemptAt: clock().addingTimeInterval(lease), error: "run by an operator")
        let outcome = await target.provision(job)
        try await Outbox.record(
            outcome, job: job, jobID: entry.id, identifier: entry.identifier, attempt: entry.attempts + 1,
            via: "operator", targetSettings: targetSettings, store: store, clock: clock, logger: logger)
        return outcome
    }
}
