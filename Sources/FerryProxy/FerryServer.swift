import FerryConfig
import FerryMigration
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import UnixSignals

/// Ferry's listeners and their lifecycle: the public proxy listener, the admin
/// listener, reload on SIGHUP, graceful shutdown on SIGTERM/SIGINT.
public final class FerryServer: Sendable {
    public let configPath: String
    let runtimes: RuntimeStore
    let metrics = ProxyMetrics()
    let reloader: ConfigReloader
    /// Upstream connection pools made and not yet shut down.
    let clientLedger = UpstreamClient.Ledger()
    /// This server's client-disconnect watchers, by connection.
    let connectionWatchers = ConnectionWatchers()
    let certificates = CertificateStore()
    let migration: MigrationHost
    let logger: Logger
    let accessLog: AccessLog
    let eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    private let ports = Mutex<Listening>(Listening())

    /// The bound ports, and who waits for both.
    private struct Listening {
        var proxy: Int?
        var admin: Int?
        var waiting: [CheckedContinuation<Void, Never>] = []

        /// Records one port; returns the waiters to resume once both are known.
        mutating func set(proxy: Int? = nil, admin: Int? = nil) -> [CheckedContinuation<Void, Never>] {
            if let proxy { self.proxy = proxy }
            if let admin { self.admin = admin }
            guard self.proxy != nil, self.admin != nil else { return [] }
            defer { waiting = [] }
            return waiting
        }
    }
    private let group = Mutex<ServiceGroup?>(nil)

    /// Loads and validates the config; throws the config's problems.
    /// `accessLogTo` receives the JSON access log (standard output by default).
    public init(
        configPath: String, logger: Logger, accessLog: Bool = true, accessLogTo: FileHandle = .standardOutput
    ) throws {
        self.configPath = configPath
        self.logger = logger
        self.accessLog = AccessLog(enabled: accessLog, to: accessLogTo) { [metrics] in metrics.accessLogLineDropped() }
        let (config, digest) = try ProxyConfig.loadDigested(path: configPath)
        if let tls = config.server.tls { certificates.install(try CertificateStore.read(tls)) }
        migration = MigrationHost(config: config, metrics: metrics, eventLoopGroup: eventLoopGroup, logger: logger)
        migration.services.instance.configDigest = digest
        let engine = try migration.engine(for: config)
        let sessions = try migration.sessionTracker(for: config)
        let upstreams = ConfigReloader.clients(
            for: config, reusing: nil, eventLoopGroup: eventLoopGroup, ledger: clientLedger)
        runtimes = RuntimeStore(
            ProxyRuntime(config: config, generation: 1, upstreams: upstreams, migration: engine, sessions: sessions))
        reloader = ConfigReloader(
            path: configPath, runtimes: runtimes, metrics: metrics, eventLoopGroup: eventLoopGroup,
            certificates: certificates, migration: migration, clientLedger: clientLedger, logger: logger)
    }

    /// The bound port of the public listener, once it is running.
    public var proxyPort: Int? { ports.withLock { $0.proxy } }
    /// The bound port of the admin listener, once it is running.
    public var adminPort: Int? { ports.withLock { $0.admin } }

    /// Returns once both listeners are bound (as Hummingbird reports them
    /// running), or `run()` has ended, for callers that started it in a task.
    public func waitUntilListening() async {
        await withCheckedContinuation { continuation in
            let ready = ports.withLock { ports in
                guard ports.proxy == nil || ports.admin == nil else { return true }
                ports.waiting.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
    public var generation: Int { runtimes.runtime.generation }

    /// Re-reads the config file and swaps it in if it is valid.
    @discardableResult
    public func reload(trigger: ReloadTrigger = .signal) async -> ReloadRecord {
        await reloader.reload(trigger)
    }

    /// Runs until SIGTERM or SIGINT (or `shutdown()`), then stops accepting
    /// connections and lets requests in flight finish within the configured
    /// deadline.
    public func run(handleSignals: Bool = true) async throws {
        // A listener that cannot bind ends `run`: nobody waits for it forever.
        defer {
            let waiting = ports.withLock { ports in
                defer { ports.waiting = [] }
                return ports.waiting
            }
            for waiter in waiting { waiter.resume() }
        }
        let config = runtimes.runtime.config
        let proxy = Application(
            responder: ProxyResponder(
                runtimes: runtimes, metrics: metrics, accessLog: accessLog,
                scheme: config.server.tls == nil ? "http" : "https", connectionWatchers: connectionWatchers,
                laterSteps: LaterStepIssuers()),
            server: try serverBuilder(config),
            configuration: .init(
                address: .hostname(config.server.listen.host, port: config.server.listen.port), serverName: nil,
                availableConnectionsDelegate: ConnectionCounter(metrics: metrics)),
            onServerRunning: { [self] channel in
                for waiter in ports.withLock({ $0.set(proxy: channel.localAddress?.port ?? 0) }) { waiter.resume() }
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
        let admin = Application(
            router: AdminAPI(runtimes: runtimes, metrics: metrics, reloader: reloader, startedAt: Date()).router(),
            configuration: .init(address: .hostname(config.admin.listen.host, port: config.admin.listen.port)),
            onServerRunning: { [self] channel in
                for waiter in ports.withLock({ $0.set(admin: channel.localAddress?.port ?? 0) }) { waiter.resume() }
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
        let runtimes = runtimes
        let retrier = OutboxRetrier(services: migration.services) { runtimes.runtime.migration }
        var services: [any Service] = [proxy, admin, OutboxService(retrier: retrier)]
        if handleSignals { services.append(ReloadOnHangup(server: self)) }
        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
            cancellationSignals: [],
            logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = config.server.shutdownTimeout
        let serviceGroup = ServiceGroup(configuration: groupConfiguration)
        group.withLock { $0 = serviceGroup }
        logger.notice(
            "ferry serving", metadata: ["listen": "\(config.server.listen)", "admin": "\(config.admin.listen)"])
        accessLog.start()
        defer { accessLog.stop() }
        // The bound ports, also when the config says port 0.
        let announcement = Task { [self] in
            await waitUntilListening()
            guard let proxy = proxyPort, let admin = adminPort else { return }
            logger.notice("ferry listening", metadata: ["proxy_port": "\(proxy)", "admin_port": "\(admin)"])
        }
        defer { announcement.cancel() }
        do {
            try await serviceGroup.run()
        } catch {
            // A listener that cannot bind (its port taken) ends the group at
            // once; the HTTP clients must still be shut down, or their deinit
            // traps and the operator sees a crash instead of this error.
            await stop(runtimes)
            if let io = error as? IOError, io.errnoCode == EADDRINUSE {
                // The proxy binds first: if it did, the admin listener failed.
                let (key, address) =
                    proxyPort == nil
                    ? ("server.listen", config.server.listen) : ("admin.listen", config.admin.listen)
                throw ListenerTaken(key: key, address: "\(address.host):\(address.port)")
            }
            throw error
        }
        await stop(runtimes)
        logger.notice("ferry stopped")
    }

    /// Shuts down what `run` started: upstream pools, the audit chain's
    /// checkpoint, the migration host (state store, hash workers, target client).
    private func stop(_ runtimes: RuntimeStore) async {
        for client in runtimes.runtime.upstreams.values { await client.shutdown() }
        // The chain's head at shutdown is anchored, so truncation after it shows.
        let engine = runtimes.runtime.migration
        await engine.checkpointAudit(force: true)
        await migration.shutdown()
    }

    /// Writes the access-log lines collected so far (they are otherwise written
    /// in batches, a moment later).
    public func flushAccessLog() { accessLog.flush() }

    /// Starts a graceful shutdown, as SIGTERM does.
    public func shutdown() async {
        let serviceGroup = group.withLock { $0 }
        await serviceGroup?.triggerGracefulShutdown()
    }

    private func serverBuilder(_ config: ProxyConfig) throws -> HTTPServerBuilder {
        // The parser's own ceiling sits above the configured limit, so that Ferry
        // answers an oversized head with 431 rather than the parser's bare 400.
        let parserCeiling = max(config.server.maxHeaderSize * 2, 80 << 10)
        let connectionWatchers = connectionWatchers
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                ClientDisconnectWatcher(watchers: connectionWatchers), ConnectionPersistenceInstaller(),
            ],
            idleTimeout: config.server.idleTimeout.timeAmount,
            httpDecoderConfiguration: .init(maxHeaderFieldSize: parserCeiling, maxHeaderListSize: parserCeiling))
        guard config.server.tls != nil else { return .http1(configuration: http1) }
        let tls = try certificates.serverConfiguration()
        guard config.server.http2 else { return try .tls(.http1(configuration: http1), tlsConfiguration: tls) }
        // HTTP/2 streams get the same handlers and limits as HTTP/1.1 requests.
        return try .http2Upgrade(
            tlsConfiguration: tls,
            configuration: .init(idleTimeout: config.server.idleTimeout, streamConfiguration: http1))
    }
}

/// Reloads the config on every SIGHUP until shutdown; SIGHUP never stops Ferry.
struct ReloadOnHangup: Service {
    let server: FerryServer

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await withGracefulShutdownHandler {
            for await _ in signals.cancelOnGracefulShutdown() {
                await server.reload(trigger: .signal)
            }
        } onGracefulShutdown: {
        }
    }
}

struct ConnectionCounter: AvailableConnectionsDelegate {
    let metrics: ProxyMetrics
    func connectionOpened() { metrics.connectionOpened() }
    func connectionClosed() { metrics.connectionClosed() }
    func isAcceptingNewConnections() -> Bool { true }
}

/// A listener whose address another process holds, named by its config key.
public struct ListenerTaken: Error, CustomStringConvertible {
    public let key: String
    public let address: String
    public var description: String {
        "\(key) \(address): address already in use; another process listens there (stop it, or change \(key))"
    }
}
