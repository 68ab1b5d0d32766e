import AsyncHTTPClient
import FerryConfig
import FerryMigration
import Logging
import NIOCore
import ServiceLifecycle

/// The process-long side of the migration inside the server: the state store,
/// hash workers and outbox key (`MigrationServices`), the HTTP client SCIM and
/// webhook targets share, and the outbox retrier. Builds one engine per config
/// generation.
final class MigrationHost: Sendable {
    let services: MigrationServices
    let targetClient: HTTPClient
    let logger: Logger

    init(config: ProxyConfig, metrics: ProxyMetrics, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        services = MigrationServices.open(config: config, logger: logger) { metrics.migration($0) }
        targetClient = HTTPClient(
            eventLoopGroupProvider: .shared(eventLoopGroup), configuration: ProvisioningTargets.clientConfiguration)
        self.logger = logger
    }

    /// The engine for `config`. At startup a legacy source or target that cannot
    /// be set up is logged and left out, so Ferry serves and logins fail safe to
    /// legacy; on reload (`strict`) it rejects the reload and the running
    /// engine stays.
    func engine(for config: ProxyConfig, strict: Bool = false) throws -> MigrationEngine {
        var source: (any LegacySource)?
        if let legacy = config.legacy {
            do {
                source = try LegacySources.open(legacy, logger: logger)
            } catch {
                if strict { throw error }
                logger.error("legacy source cannot be opened; logins go to legacy", metadata: ["error": "\(error)"])
            }
        }
        var target: (any ProvisioningTarget)?
        if let settings = config.target {
            do {
                target = try ProvisioningTargets.make(settings, client: targetClient)
            } catch {
                if strict { throw error }
                logger.error(
                    "provisioning target cannot be set up; logins go to legacy",
                    metadata: ["target": "\(settings.kind.rawValue)", "error": "\(error)"])
            }
        }
        var checkpoints: AuditCheckpoints?
        do {
            checkpoints = try AuditCheckpoints.open(config.state, create: true)
        } catch {
            if strict { throw error }
            logger.error("audit checkpoints cannot be signed; none are written", metadata: ["error": "\(error)"])
        }
        return MigrationEngine(
            config: config, services: services, source: source, target: target, auditCheckpoints: checkpoints)
    }

    /// The legacy session tracker for `config`; like `engine(for:strict:)`, a
    /// session store that cannot be opened rejects a reload but not a start.
    func sessionTracker(for config: ProxyConfig, strict: Bool = false) throws -> LegacySessionTracker? {
        do {
            return try LegacySessionTracker(
                config: config, store: services.store, observations: services.sessionObservations, logger: logger,
                clock: services.clock)
        } catch {
            if strict { throw error }
            logger.error(
                "legacy session store cannot be opened; legacy decides about sessions", metadata: ["error": "\(error)"])
            return nil
        }
    }

    func shutdown() async {
        services.hashPool.shutdown()
        try? await targetClient.shutdown()
    }
}

/// Runs the outbox retrier until shutdown.
struct OutboxService: Service {
    let retrier: OutboxRetrier

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await retrier.run()
        }
    }
}
