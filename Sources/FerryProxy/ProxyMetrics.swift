import FerryMigration
import Foundation
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
            descriptor: Self.named("ferry_active_connections", "Client connections open on the public listener"))
        inFlight = registry.makeGauge(descriptor: Self.named("ferry_requests_in_flight", "Requests being served"))
        legacySessions = registry.makeGauge(
            descriptor: Self.named(
                "ferry_legacy_sessions_alive", "Legacy session cookies still alive, as Ferry knows them"))
        legacyTokens = registry.makeGauge(
            descriptor: Self.named("ferry_legacy_tokens_alive", "Legacy bearer tokens still alive, as Ferry knows them")
        )
        legacyUsers = registry.makeGauge(
            descriptor: Self.named("ferry_legacy_session_users", "Users holding a live legacy session or token"))
        lastLegacyExpiry = registry.makeGauge(
            descriptor: Self.named(
                "ferry_legacy_sessions_last_expiry_seconds",
                "Unix time the last live legacy session or token expires (0: none)"))
        accessLogDropped = registry.makeCounter(
            descriptor: Self.named(
                "ferry_access_log_lines_dropped_total",
                "Access-log lines dropped because standard output fell too far behind"))
        auditCheckpoint = registry.makeGauge(
            descriptor: Self.named(
                "ferry_audit_checkpoint_sequence",
                "Audit event sequence of the latest signed checkpoint written by this process"))
    }

    /// The drain report, refreshed when metrics are scraped.
    func legacyDrain(sessions: Int, tokens: Int, users: Int, lastExpiry: Date?) {
        legacySessions.set(Double(sessions))
        legacyTokens.set(Double(tokens))
        legacyUsers.set(Double(users))
        lastLegacyExpiry.set(lastExpiry?.timeIntervalSince1970 ?? 0)
    }

    func request(route: String, upstream: String, status: Int) {
        let statusClass = "\(status / 100)xx"
        let key = "\(route)\u{0}\(upstream)\u{0}\(statusClass)"
        let counter = requestCounters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.named(
                    "ferry_http_requests_total", "Requests served, by route, upstream and status class"),
                labels: [("route", route), ("upstream", upstream), ("status_class", statusClass)])
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    func upstreamLatency(upstream: String, duration: Duration) {
        let histogram = latencyHistograms.withLock { histograms in
            if let histogram = histograms[upstream] { return histogram }
            let histogram = registry.makeDurationHistogram(
                descriptor: Self.named(
                    "ferry_upstream_response_seconds", "Time until the upstream's response head arrived"),
                labels: [("upstream", upstream)],
                buckets: [
                    .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                    .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
                    .seconds(10),
                ])
            histograms[upstream] = histogram
            return histogram
        }
        histogram.record(duration)
    }

    func upstreamFailure(upstream: String, kind: String) {
        registry.makeCounter(
            descriptor: Self.named(
                "ferry_upstream_failures_total", "Upstream requests that failed, by kind (unreachable, timeout)"),
            labels: [("upstream", upstream), ("kind", kind)]
        ).increment()
    }

    /// A first login whose provisioning succeeded went to legacy because the
    /// new platform could not be reached.
    func newUnreachableFallback() {
        registry.makeCounter(
            descriptor: Self.named(
                "ferry_login_fallbacks_total",
                "Just-migrated logins sent to legacy because the new platform could not be reached"),
            labels: [("reason", "new_unreachable")]
        ).increment()
    }

    func reload(outcome: String) {
        registry.makeCounter(
            descriptor: Self.named("ferry_reloads_total", "Config reloads, by outcome"), labels: [("outcome", outcome)]
        ).increment()
    }

    /// Logins by where they went and why; the reasons are a fixed vocabulary
    /// (`LegacyReason`, `NewReason`), so the label set stays small.
    func migration(_ event: MigrationEvent) {
        switch event {
        case .login(let outcome):
            registry.makeCounter(
                descriptor: Self.named(
                    "ferry_logins_total", "Logins seen by the migration engine, by destination and reason"),
                labels: [("destination", outcome.destination.rawValue), ("reason", outcome.reason.label)]
            ).increment()
        case .provisioning(let via, let result):
            registry.makeCounter(
                descriptor: Self.named(
                    "ferry_provisioning_total", "Calls to the provisioning target, by path (login, outbox) and result"),
                labels: [("via", via), ("result", result)]
            ).increment()
        case .mfaNotCarried(let policy):
            registry.makeCounter(
                descriptor: Self.named(
                    "ferry_mfa_not_carried_total",
                    "Users with an MFA factor the target cannot hold, by the policy applied"),
                labels: [("policy", policy)]
            ).increment()
        case .disagreement:
            registry.makeCounter(
                descriptor: Self.named(
                    "ferry_login_disagreements_total",
                    "Logins Ferry judged a wrong password that legacy then accepted"),
                labels: []
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

extension ProxyMetrics {
    /// A metric's name and help text, as the registry wants them described.
    static func named(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
