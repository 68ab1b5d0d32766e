import FerryMigration
import FerryStore
import Prometheus
import Synchronization

/// Ferry's Prometheus metrics. Label sets are fixed per metric name: the
/// registry treats one name with two label sets as a fatal error.
final class ProxyMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let activeConnections: Gauge
    private let inFlight: Gauge
    private let legacySessions: Gauge
    private let legacyTokens: Gauge
    private let legacyUsers: Gauge
    private let lastLegacyExpiry: Gauge
    private let accessLogDropped: Counter
    private let auditCheckpoint: Gauge
    // The registry validates names and labels on every make call; handles are
    // looked up once per label set instead.
    private let requestCounters = Mutex<[String: Counter]>([:])
    private let latencyHistograms = Mutex<[String: DurationHistogram]>([:])

    init() {
        activeConnections = registry.makeGauge(
            name: "ferry_active_connections", help: "Client connections open on the public listener")
        inFlight = registry.makeGauge(name: "ferry_requests_in_flight", help: "Requests being served")
        legacySessions = registry.makeGauge(
            name: "ferry_legacy_sessions_alive", help: "Legacy session cookies still alive, as Ferry knows them")
        legacyTokens = registry.makeGauge(
            name: "ferry_legacy_tokens_alive", help: "Legacy bearer tokens still alive, as Ferry knows them")
        legacyUsers = registry.makeGauge(
            name: "ferry_legacy_session_users", help: "Users holding a live legacy session or token")
        lastLegacyExpiry = registry.makeGauge(
            name: "ferry_legacy_sessions_last_expiry_seconds",
            help: "Unix time the last live legacy session or token expires (0: none)")
        accessLogDropped = registry.makeCounter(
            name: "ferry_access_log_lines_dropped_total",
            help: "Access-log lines dropped because standard output fell too far behind")
        auditCheckpoint = registry.makeGauge(
            name: "ferry_audit_checkpoint_sequence",
            help: "Audit event sequence of the latest signed checkpoint written by this process")
    }

    /// The drain report, refreshed when metrics are scraped.
    func legacySessions(_ drain: SessionDrain) {
        legacySessions.set(Double(drain.sessionsAlive))
        legacyTokens.set(Double(drain.tokensAlive))
        legacyUsers.set(Double(drain.usersWithSessions + drain.usersWithTokens))
        let last = [drain.lastSessionExpiry, drain.lastTokenExpiry].compactMap { $0 }.max()
        lastLegacyExpiry.set(last?.timeIntervalSince1970 ?? 0)
    }

    func request(route: String, upstream: String, status: Int) {
        let statusClass = "\(status / 100)xx"
        let key = "\(route)\u{0}\(upstream)\u{0}\(statusClass)"
        let counter = requestCounters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                name: "ferry_http_requests_total",
                labels: [("route", route), ("upstream", upstream), ("status_class", statusClass)],
                help: "Requests served, by route, upstream and status class")
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    func upstreamLatency(upstream: String, duration: Duration) {
        let histogram = latencyHistograms.withLock { histograms in
            if let histogram = histograms[upstream] { return histogram }
            let histogram = registry.makeDurationHistogram(
                name: "ferry_upstream_response_seconds", labels: [("upstream", upstream)],
                buckets: [
                    .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                    .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
                    .seconds(10),
                ],
                help: "Time until the upstream's response head arrived")
            histograms[upstream] = histogram
            return histogram
        }
        histogram.record(duration)
    }

    func upstreamFailure(upstream: String, kind: String) {
        registry.makeCounter(
            name: "ferry_upstream_failures_total", labels: [("upstream", upstream), ("kind", kind)],
            help: "Upstream requests that failed, by kind (unreachable, timeout)"
        ).increment()
    }

    func reload(outcome: String) {
        registry.makeCounter(
            name: "ferry_reloads_total", labels: [("outcome", outcome)], help: "Config reloads, by outcome"
        ).increment()
    }

    /// Logins by where they went and why; the reasons are a fixed vocabulary
    /// (`LegacyReason`, `NewReason`), so the label set stays small.
    func migration(_ event: MigrationEvent) {
        switch event {
        case .login(let outcome):
            registry.makeCounter(
                name: "ferry_logins_total",
                labels: [("destination", outcome.destination.rawValue), ("reason", outcome.reason)],
                help: "Logins seen by the migration engine, by destination and reason"
            ).increment()
        case .provisioning(let via, let result):
            registry.makeCounter(
                name: "ferry_provisioning_total", labels: [("via", via), ("result", result)],
                help: "Calls to the provisioning target, by path (login, outbox) and result"
            ).increment()
        case .mfaNotCarried(let policy):
            registry.makeCounter(
                name: "ferry_mfa_not_carried_total", labels: [("policy", policy)],
                help: "Users with an MFA factor the target cannot hold, by the policy applied"
            ).increment()
        case .auditCheckpoint(let sequence):
            auditCheckpoint.set(Double(sequence))
        }
    }

    func accessLogLineDropped() { accessLogDropped.increment() }
    func connectionOpened() { activeConnections.increment() }
    func connectionClosed() { activeConnections.decrement() }
    func requestStarted() { inFlight.increment() }
    func requestFinished() { inFlight.decrement() }

    func exposition() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
