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
        var lastHeartbeat = lastPrune
        await engine()?.calibrateDecoy()
        while !Task.isCancelled {
            if ContinuousClock.now - lastHeartbeat >= Self.heartbeatInterval {
                await heartbeat()
                lastHeartbeat = .now
            }
            _ = await drainOnce()
            await flushTally()
            await syncGuard()
            await engine()?.checkpointAudit()
            if ContinuousClock.now - lastPrune >= .seconds(60) {
                await prune()
                lastPrune = .now
            }
            try? await Task.sleep(for: pollInterval)
        }
        await flushTally()
    }

    /// How often an instance tells the store it is alive; `ferry status`
    /// counts an instance as running while its last heartbeat is within three.
    public static let heartbeatInterval: Duration = .seconds(10)

    /// The guard's failures, shared with the other instances and theirs counted here.
    func syncGuard() async {
        guard let store = services.store, let settings = engine()?.guardSettings else { return }
        do {
            try await services.guardSync.sync(
                store: store, loginGuard: services.loginGuard, settings: settings, origin: services.instance.id)
        } catch {
            services.logger.warning(
                "guard failures not shared with other instances", metadata: ["error": "\(databaseErrorSummary(error))"])
        }
    }

    static func cutoff(_ now: Date, _ retention: Duration) -> Date {
        now.addingTimeInterval(-Double(retention.components.seconds))
    }

    /// Registers this instance with the config it runs, and learns how many
    /// instances share the migration rate.
    func heartbeat() async {
        guard let store = services.store else { return }
        let instance = services.instance
        let now = services.clock()
        do {
            try await store.heartbeat(
                InstanceRecord(
                    id: instance.id, version: instance.version, configDigest: instance.configDigest,
                    startedAt: instance.startedAt, heartbeatAt: now))
            let live = InstanceRecord.live(
                try await store.instances(), at: now, window: 3 * MigrationEngine.seconds(Self.heartbeatInterval))
            services.rateLimiter.fleetSize = live.count
        } catch {
            services.logger.warning(
                "instance heartbeat not written", metadata: ["error": "\(databaseErrorSummary(error))"])
        }
    }

    /// Bounded growth: ended legacy sessions, finished outbox jobs and old
    /// hourly login counts leave the store after their retention (the tables
    /// hold what the reports need, not history; the audit log keeps that), and
    /// instances silent for a week leave the fleet list.
    func prune() async {
        guard let store = services.store, let engine = engine() else { return }
        let now = services.clock()
        let cutoffs = (
            sessions: Self.cutoff(now, engine.sessionRetention), jobs: Self.cutoff(now, engine.outboxRetention),
            tally: LoginTallyKey(at: Self.cutoff(now, engine.loginTallyRetention), destination: "", reason: "").hour,
            instances: Self.cutoff(now, .seconds(7 * 86_400)),
            // Longer than any guard window is worth keeping.
            guardEvents: Self.cutoff(now, .seconds(86_400))
        )
        let steps: [(String, @Sendable () async throws -> Int)] = [
            ("ended legacy sessions", { try await store.pruneLegacySessions(endedBefore: cutoffs.sessions) }),
            ("finished outbox jobs", { try await store.pruneFinishedJobs(completedBefore: cutoffs.jobs) }),
            ("hourly login counts", { try await store.pruneLoginTally(before: cutoffs.tally) }),
            ("silent instances", { try await store.pruneInstances(silentSince: cutoffs.instances) }),
            ("shared guard events", { try await store.pruneGuardEvents(before: cutoffs.guardEvents) }),
        ]
        for (what, step) in steps {
            do {
                _ = try await step()
            } catch {
                services.logger.warning("\(what) not pruned", metadata: ["error": "\(databaseErrorSummary(error))"])
            }
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
        // Jobs are leased a few at a time (see `OutboxLease`).
        let timeout = MigrationEngine.seconds(targetSettings.timeout)
        var attempted = 0
        while attempted < limit, !Task.isCancelled {
            let batch = min(Self.leaseBatch, limit - attempted)
            let leasedAt = services.clock()
            let leaseEnd = OutboxLease.end(leasedAt: leasedAt, batch: batch, targetTimeout: timeout)
            let jobs: [OutboxJob]
            do {
                jobs = try await store.leaseDueJobs(
                    at: leasedAt, limit: batch, until: leaseEnd, owner: services.instance.id)
            } catch {
                services.logger.warning("outbox cannot be read", metadata: ["error": "\(databaseErrorSummary(error))"])
                return attempted
            }
            for entry in jobs {
                if Task.isCancelled { break }
                guard OutboxLease.mayStart(leaseEnd: leaseEnd, now: services.clock(), targetTimeout: timeout) else {
                    services.logger.notice("outbox lease running short; the job waits for the next lease")
                    break
                }
                attempted += 1
                await attempt(entry, target: target, targetSettings: targetSettings, store: store, sealer: sealer)
            }
            if jobs.count < batch { break }
        }
        return attempted
    }

    /// Jobs taken per lease.
    static let leaseBatch = 5

    private func attempt(
        _ entry: OutboxJob, target: any ProvisioningTarget, targetSettings: TargetSettings, store: any StateStore,
        sealer: JobSealer
    ) async {
        do {
            guard let job = sealer.open(entry.payload, identifier: entry.identifier) else {
                // Sealed under another state key: the new hash is lost, so the
                // user goes back to legacy and migrates on their next login.
                try await store.markFailed(
                    entry.identifier, state: .legacy, reason: "outbox job cannot be opened with the current state key",
                    closingJob: entry.id, audit: ["via": "outbox", "reason": "unreadable job"], at: services.clock())
                return
            }
            let outcome = await target.provision(job)
            services.events(.provisioning(via: "outbox", result: outcome.label))
            try await Outbox.record(
                outcome, job: job, jobID: entry.id, identifier: entry.identifier, attempt: entry.attempts + 1,
                via: "outbox", targetSettings: targetSettings, store: store, clock: services.clock,
                logger: services.logger)
        } catch {
            services.logger.warning(
                "outbox job not recorded; it will be retried", metadata: ["error": "\(databaseErrorSummary(error))"])
        }
    }
}
