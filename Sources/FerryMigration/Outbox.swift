import FerryConfig
import FerryStore
import Foundation
import Logging

/// What happens to an outbox job after one call to the target — the same for
/// a login's first attempt and for the retrier.
enum Outbox {
    static func record(
        _ outcome: TargetOutcome, job: ProvisioningJob, jobID: Int64, identifier: String, attempt: Int, via: String,
        targetSettings: TargetSettings, store: any StateStore, clock: @Sendable () -> Date, logger: Logger
    ) async throws {
        let now = clock()
        let identity = job.identity
        let facts = [
            "via": via, "target": targetSettings.kind.rawValue, "legacy_scheme": identity.credential.legacyScheme,
            "mfa": identity.mfaSummary, "consents": identity.consentSummary, "attempt": String(attempt + 1),
        ]
        switch outcome {
        case .created(let newID), .alreadyThere(let newID):
            var audit = facts
            audit["new_id"] = newID
            audit["result"] = outcome.label
            try await store.completeMigration(
                MigrationCompletion(
                    identifier: identifier, jobID: jobID, newID: newID, mfaSummary: identity.mfaSummary,
                    consentSummary: identity.consentSummary, audit: audit, newLogin: identity.loginName), at: now)
            logger.info(
                "user migrated",
                metadata: [
                    "via": "\(via)", "target": "\(targetSettings.kind.rawValue)",
                    "scheme": "\(identity.credential.legacyScheme)",
                ])
        case .conflict(let reason), .rejected(let reason):
            var audit = facts
            audit["reason"] = reason
            try await store.markFailed(
                identifier, state: .failed, reason: reason, closingJob: jobID, audit: audit, at: now)
            logger.warning(
                "provisioning refused; user stays on legacy", metadata: ["reason": "\(reason)", "via": "\(via)"])
        case .unavailable(let reason):
            let delay = RetryBackoff.delay(
                attempt: attempt, initial: targetSettings.retryInitial, ceiling: targetSettings.retryCeiling,
                jitter: Double.random(in: 0...1))
            try await store.rescheduleJob(
                jobID, nextAttemptAt: now.addingTimeInterval(MigrationEngine.seconds(delay)), error: reason)
            logger.warning(
                "provisioning target unavailable; job stays in the outbox",
                metadata: ["reason": "\(reason)", "via": "\(via)", "retry_in": "\(delay)"])
        }
    }
}

/// Finishes outbox jobs in the background: after a target outage, and after a
/// restart (jobs whose login died with the process come due when their lease
/// ends). One job at a time; the target's idempotency covers the rest.
public final class OutboxRetrier: Sendable {
    let services: MigrationServices
    let engine: @Sendable () -> MigrationEngine?
    let pollInterval: Duration

    /// `engine` returns the current generation's engine, so reloads apply.
    public init(
        services: MigrationServices, pollInterval: Duration = .seconds(1),
        engine: @escaping @Sendable () -> MigrationEngine?
    ) {
        self.services = services
        self.engine = engine
        self.pollInterval = pollInterval
    }

    /// Runs until the task is cancelled.
    public func run() async {
        var lastPrune = ContinuousClock.now - .seconds(3600)
        await engine()?.calibrateDecoy()
        while !Task.isCancelled {
            _ = await drainOnce()
            await flushTally()
            await engine()?.checkpointAudit()
            if ContinuousClock.now - lastPrune >= .seconds(60) {
                await pruneSessions()
                lastPrune = .now
            }
            try? await Task.sleep(for: pollInterval)
        }
        await flushTally()
    }

    /// Ended and expired legacy sessions leave the store after the retention:
    /// the table holds what the drain report needs, not history.
    func pruneSessions() async {
        guard let store = services.store, let retention = engine()?.sessionRetention else { return }
        let cutoff = services.clock().addingTimeInterval(-Double(retention.components.seconds))
        do {
            try await store.pruneLegacySessions(endedBefore: cutoff)
        } catch {
            services.logger.warning(
                "ended legacy sessions not pruned", metadata: ["error": "\(databaseErrorSummary(error))"])
        }
    }

    /// The login tally and the sessions routing learned ride on the
    /// retrier's loop: they are the store's background writes.
    func flushTally() async {
        guard let store = services.store else { return }
        do {
            try await services.tally.flush(to: store)
        } catch {
            services.logger.warning("login tally not written", metadata: ["error": "\(databaseErrorSummary(error))"])
        }
        do {
            try await services.sessionObservations.flush(to: store)
        } catch {
            services.logger.warning(
                "legacy sessions seen by routing not written", metadata: ["error": "\(databaseErrorSummary(error))"])
        }
    }

    /// Works through the jobs due now; returns how many it attempted.
    @discardableResult
    public func drainOnce(limit: Int = 50) async -> Int {
        guard let store = services.store, let engine = engine(), let target = engine.target,
            let targetSettings = engine.targetSettings, let sealer = services.sealer
        else { return 0 }
        let jobs: [OutboxJob]
        do {
            jobs = try await store.dueJobs(at: services.clock(), limit: limit)
        } catch {
            services.logger.warning("outbox cannot be read", metadata: ["error": "\(databaseErrorSummary(error))"])
            return 0
        }
        for entry in jobs {
            if Task.isCancelled { break }
            do {
                guard let job = sealer.open(entry.payload, identifier: entry.identifier) else {
                    // Sealed under another state key: the new hash is lost, so the
                    // user goes back to legacy and migrates on their next login.
                    try await store.markFailed(
                        entry.identifier, state: .legacy,
                        reason: "outbox job cannot be opened with the current state key",
                        closingJob: entry.id, audit: ["via": "outbox", "reason": "unreadable job"], at: services.clock()
                    )
                    continue
                }
                let outcome = await target.provision(job)
                services.events(.provisioning(via: "outbox", result: outcome.label))
                try await Outbox.record(
                    outcome, job: job, jobID: entry.id, identifier: entry.identifier, attempt: entry.attempts + 1,
                    via: "outbox", targetSettings: targetSettings, store: store, clock: services.clock,
                    logger: services.logger)
            } catch {
                services.logger.warning(
                    "outbox job not recorded; it will be retried", metadata: ["error": "\(databaseErrorSummary(error))"]
                )
            }
        }
        return jobs.count
    }
}
