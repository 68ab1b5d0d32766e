import FerryConfig
import FerryStore
import Foundation
import Logging
import PasswordHashes
import Synchronization

/// The parts of the migration that live as long as the process: the state
/// store, the hash workers, the key sealing outbox jobs.
public final class MigrationServices: Sendable {
    /// nil when the store could not be opened; logins then take the
    /// `state.on_unavailable` path.
    public let store: (any StateStore)?
    public let hashPool: HashWorkerPool
    /// nil without `state.encryption_key_*`; nothing can be provisioned then.
    public let sealer: JobSealer?
    public let events: @Sendable (MigrationEvent) -> Void
    public let clock: @Sendable () -> Date
    public let rateLimiter = MigrationRateLimiter()
    public let loginGuard = LoginGuard()
    public let tally = LoginTally()
    /// Legacy sessions learned by routing questions, written in the background.
    public let sessionObservations = SessionObservations()
    /// The legacy hash an unknown identifier costs, fixed once calibrated.
    let decoy = DecoyCalibration()
    /// This process among the instances sharing the store.
    public let instance: InstanceIdentity
    /// Shares the guard's failures with the other instances.
    let guardSync: GuardSync
    let logger: Logger

    public init(
        store: (any StateStore)?, hashPool: HashWorkerPool, sealer: JobSealer?, logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() }, instance: InstanceIdentity = InstanceIdentity(),
        events: @escaping @Sendable (MigrationEvent) -> Void = { _ in }
    ) {
        self.instance = instance
        guardSync = GuardSync(startingAt: clock().addingTimeInterval(-3600))
        self.store = store
        self.hashPool = hashPool
        self.sealer = sealer
        self.logger = logger
        self.clock = clock
        self.events = events
    }

    /// An applied reload's changed keys, old and new values (secrets by their
    /// source only), as a `config_changed` audit event.
    public func recordConfigChange(_ changes: [ConfigChange], trigger: String, generation: Int, at: Date) async {
        guard let store else { return }
        var details = ["trigger": trigger, "generation": String(generation)]
        for change in changes {
            details["\(change.key).old"] = change.old ?? "(unset)"
            details["\(change.key).new"] = change.new ?? "(unset)"
        }
        do {
            try await store.appendAudit(kind: "config_changed", identifier: nil, details: details, at: at)
        } catch {
            logger.error(
                "config change not written to the audit log", metadata: ["error": "\(databaseErrorSummary(error))"])
        }
    }

    /// Opens the store and starts the hash workers for `config`. A store that
    /// cannot be opened is logged and left nil: Ferry keeps proxying.
    public static func open(
        config: ProxyConfig, logger: Logger, events: @escaping @Sendable (MigrationEvent) -> Void = { _ in }
    ) -> MigrationServices {
        var store: (any StateStore)?
        do {
            switch config.state.store {
            case .sqlite(let path):
                store = try SQLiteStateStore(path: path, busyTimeout: config.state.busyTimeout)
            case .postgres(let location):
                store = try PostgresStateStore(location: location, timeout: config.state.busyTimeout, logger: logger)
            // check-config refuses it; nothing opens.
            case .mysql: store = nil
            }
        } catch {
            logger.error(
                "state store cannot be opened; logins take state.on_unavailable",
                metadata: ["store": "\(config.state.store)", "error": "\(databaseErrorSummary(error))"])
        }
        let sealer = config.state.encryptionKey.flatMap { EncryptionKey($0.value) }.flatMap {
            try? JobSealer(key: $0.bytes)
        }
        return MigrationServices(
            store: store,
            hashPool: HashWorkerPool(
                threads: config.migration.hashWorkers, queueCapacity: config.migration.hashQueueSize),
            sealer: sealer, logger: logger, events: events)
    }
}

/// One config generation's migration engine: DESIGN.md's "A login". It never
/// completes a login itself; it decides where the login goes, and on the way
/// verifies, rehashes and provisions.
public final class MigrationEngine: Sendable {
    public let settings: MigrationSettings
    let services: MigrationServices
    let normalizer: IdentifierNormalizer
    let eligibility: EligibilityPolicy
    let catalog: HashCatalog
    let rehasher: Rehasher
    let source: (any LegacySource)?
    public let target: (any ProvisioningTarget)?
    let targetSettings: TargetSettings?
    let storeFailure: StateSettings.StoreFailurePolicy
    public let guardSettings: LoginGuardSettings
    /// How long ended legacy sessions, finished outbox jobs and hourly login
    /// counts are kept before the retrier prunes them.
    let sessionRetention: Duration
    let outboxRetention: Duration
    let loginTallyRetention: Duration
    /// Signed checkpoints of the audit chain's head; nil when no key can be had.
    public let auditCheckpoints: AuditCheckpoints?
    let statusCache = StatusCache()
    /// How legacy's answers to forwarded logins are read (`[legacy.answer]`).
    let answerRules: AnswerRules

    public init(
        config: ProxyConfig, services: MigrationServices, source: (any LegacySource)?,
        target: (any ProvisioningTarget)?, auditCheckpoints: AuditCheckpoints? = nil
    ) {
        settings = config.migration
        self.services = services
        normalizer = IdentifierNormalizer(steps: config.migration.normalization)
        eligibility = EligibilityPolicy(settings: config.migration, normalizer: normalizer)
        catalog = HashCatalog(legacy: config.legacy)
        rehasher = Rehasher(settings: config.migration.rehash)
        self.source = source
        self.target = target
        targetSettings = config.target
        storeFailure = config.state.onUnavailable
        guardSettings = config.loginGuard
        sessionRetention = config.sessions.retention
        outboxRetention = config.state.outboxRetention
        loginTallyRetention = config.state.loginTallyRetention
        self.auditCheckpoints = auditCheckpoints
        answerRules = AnswerRules(
            accepted: config.legacy?.answer?.accepted ?? [], rejected: config.legacy?.answer?.rejected ?? [])
    }

    /// Writes a checkpoint when enough events came since the last (or, with
    /// `force`, when any did: at shutdown).
    public func checkpointAudit(force: Bool = false) async {
        guard let store = services.store, let auditCheckpoints else { return }
        do {
            if let checkpoint = try await auditCheckpoints.checkpoint(store, at: services.clock(), force: force) {
                services.events(.auditCheckpoint(sequence: checkpoint.sequence))
            }
        } catch {
            logger.warning("audit checkpoint not written", metadata: ["error": "\(error)"])
        }
    }

    var logger: Logger { services.logger }

    /// Where the migration stands, from the store and this generation's legacy
    /// source.
    public func statusReport(config: ProxyConfig) async throws -> StatusReport {
        guard let store = services.store else { throw StatusUnavailable() }
        let now = services.clock()
        return try await StatusReport.build(
            config: config, store: store, source: source, sessions: try await store.sessionDrain(at: now), at: now)
    }

    /// The report the status page and `/admin/status` serve: built at most
    /// every few seconds (see `StatusCache`).
    public func servedStatusReport(config: ProxyConfig) async throws -> StatusReport {
        try await statusCache.report { [self] in
            try await self.statusReport(config: config)
        }
    }

    public struct StatusUnavailable: Error, CustomStringConvertible {
        public var description: String { "the state store is not open" }
    }

    /// The identifier as Ferry keys it everywhere.
    public func normalize(_ identifier: String) -> String { normalizer.normalize(identifier) }

    // MARK: Verify

    /// Fixes the decoy hash from legacy's own population when
    /// `legacy.all_users_query` is set: the first distinct hashes it lists,
    /// each verified once with a random password and timed on the hash workers.
    /// Without the query, the first hashes verified at login calibrate it.
    public func calibrateDecoy() async {
        guard let source, !services.decoy.isCalibrated else { return }
        struct Enough: Error {}
        let sample = Mutex(DecoySample())
        do {
            try await source.forEachUser { account in
                let enough = sample.withLock { $0.offer(hash: account.passwordHash, salt: account.verificationSalt) }
                if enough { throw Enough() }
            }
        } catch is Enough {
        } catch {
            return
        }
        let hashes = sample.withLock { $0.hashes }
        let catalog = catalog
        let probe = UUID().uuidString
        for (hash, salt) in hashes {
            guard
                let (result, seconds) = try? await services.hashPool.run({
                    let started = ContinuousClock.now
                    let result = catalog.verify(password: probe, hash: hash, salt: salt)
                    return (result, Self.seconds(ContinuousClock.now - started))
                })
            else { return }
            if case .error = result { continue }
            services.decoy.record(.init(hash: hash, salt: salt, seconds: seconds))
        }
    }

    func canonicalIdentity(
        _ account: LegacyAccount, newHash: String, scheme: String, fit: MFAFit, holds: Set<MFAFactorKind>
    ) -> CanonicalIdentity {
        var mfa = account.mfa
        // Factors the target cannot hold are not sent; the re-enrollment flag
        // makes the new platform ask the user to enroll again.
        if !holds.contains(.totp) { mfa.totp = [] }
        if !holds.contains(.hotp) { mfa.hotp = [] }
        if !holds.contains(.recoveryCodes) { mfa.recoveryCodes = [] }
        if !holds.contains(.webauthn) { mfa.webauthn = [] }
        if !holds.contains(.phone) { mfa.phones = [] }
        mfa.reenrollRequired = fit == .reenroll
        return CanonicalIdentity(
            legacyID: account.legacyID, username: account.username, email: account.email,
            emailVerified: account.emailVerified, phone: account.phone, profile: account.profile,
            credential: .init(passwordHash: newHash, legacyScheme: scheme), mfa: mfa,
            consents: account.consents,
            metadata: .init(
                createdAt: account.createdAt, lastLoginAt: account.lastLoginAt, migratedAt: services.clock(),
                legacyStatus: account.status), attributes: account.attributes, roles: account.roles)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

extension HashCatalog {
    /// The catalog `[legacy]` describes: cost ceilings, plaintext opt-in and
    /// the configured format for hashes that do not describe themselves.
    public init(legacy: LegacySourceSettings?) {
        guard let legacy else {
            self.init()
            return
        }
        let format = legacy.hashFormat
        self.init(
            limits: legacy.limits.costLimits, allowPlaintext: legacy.allowPlaintext,
            configured: format.flatMap { $0.expression == nil ? ConfiguredDigestFormat($0) : nil },
            expression: format.flatMap { format in
                format.expression.map {
                    ExpressionFormat(
                        expression: $0, pepper: format.pepper.map { Array($0.value.utf8) } ?? [], rows: format.rows)
                }
            })
    }
}

extension ConfiguredDigestFormat {
    init(_ format: ConfiguredHashFormat) {
        self.init(
            digest: format.digest, salt: format.saltPlacement, saltEncoding: format.saltEncoding,
            hashEncoding: format.hashEncoding, passwordEncoding: format.passwordEncoding,
            pepper: format.pepper.map { Array($0.value.utf8) }, iterations: format.iterations)
    }
}

extension Rehasher {
    public init(settings: RehashSettings) {
        self.init(algorithm: settings.scheme, format: settings.format, parameters: settings.parameters)
    }
}
