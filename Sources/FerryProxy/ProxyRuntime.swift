import FerryConfig
import FerryMigration
import NIOCore
import Synchronization

/// Everything one config generation needs to serve requests. A request takes the
/// current runtime when it starts and keeps it to the end, so a reload never
/// changes the rules under a request in flight.
final class ProxyRuntime: Sendable {
    let config: ProxyConfig
    let generation: Int
    let router: RouteTable
    let upstreams: [String: UpstreamClient]
    let migration: MigrationEngine
    /// nil when the legacy session store named in config could not be opened
    /// at startup (legacy then decides about every legacy session).
    let sessions: LegacySessionTracker?

    init(
        config: ProxyConfig, generation: Int, upstreams: [String: UpstreamClient], migration: MigrationEngine,
        sessions: LegacySessionTracker?
    ) {
        self.config = config
        self.generation = generation
        self.router = RouteTable(config: config)
        self.upstreams = upstreams
        self.migration = migration
        self.sessions = sessions
    }
}

/// Holds the current runtime and swaps it atomically on reload.
final class RuntimeStore: Sendable {
    private let current: Mutex<ProxyRuntime>

    init(_ runtime: ProxyRuntime) {
        current = Mutex(runtime)
    }

    var runtime: ProxyRuntime { current.withLock { $0 } }

    /// Installs `runtime` and returns the one it replaced.
    func swap(_ runtime: ProxyRuntime) -> ProxyRuntime {
        current.withLock { value in
            let old = value
            value = runtime
            return old
        }
    }
}
