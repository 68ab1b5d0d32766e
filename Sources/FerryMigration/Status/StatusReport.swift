import FerryConfig
import FerryStore
import Foundation
import Synchronization

/// Where the migration stands: the figures behind `ferry status`,
/// `/admin/status` and the status page. Aggregates only — no identifier, hash
/// or secret.
public struct StatusReport: Codable, Equatable, Sendable {
    public var generatedAt: Date
    public var mode: String
    public var rolloutPercent: Double
    public var ratePerSecond: Double
    public var burst: Int
    /// Active legacy users (nil without `legacy.all_users_query`).
    public var legacyUsers: Int?
    public var legacyDisabledUsers: Int?
    public var migrated: Int
    /// Active legacy users not migrated yet.
    public var remaining: Int?
    public var percentMigrated: Double?
    public var migratedLastHour: Int
    public var migratedLastDay: Int
    /// Migrations per hour over the last hour, else over the last day.
    public var currentRatePerHour: Double
    /// Seconds until the users inside the rollout have migrated at the
    /// current rate; nil when nobody is migrating or the rate is unknown.
    public var etaSeconds: Double?
    /// What the ETA assumes, in words (rate, rollout share, deny list, mode).
    public var etaAssumes: String
    public var recordsByState: [String: Int]
    /// Users left on legacy by a refusal or a policy, by "state: reason".
    public var failuresByReason: [String: Int]
    /// Logins sent to legacy, by reason, all time and in the last 24 hours.
    public var fallbacksByReason: [String: Int]
    public var fallbacksLastDay: [String: Int]
    /// Logins sent to the new platform, by reason (migrated, just migrated,
    /// new-only users), all time and in the last 24 hours.
    public var newByReason: [String: Int]
    public var newLastDay: [String: Int]
    public var wrongPasswords: Int
    /// Shadow mode's answer: users who would have migrated.
    public var wouldMigrate: Int
    public var mfaCarried: Int
    public var mfaReenrollRequired: Int
    public var consentsCarried: Int
    public var outboxBacklog: Int
    public var legacySessions: SessionDrain?
    /// Migrations per hour (unix hour → count), oldest first, for charts.
    public var migrationsByHour: [HourCount]
    /// The Ferry instances sharing this store that were heard from lately.
    public var instances: [Instance] = []
    /// Live instances run configs with different digests: one reloaded and
    /// another did not.
    public var configsDiffer = false

    public struct Instance: Codable, Equatable, Sendable {
        public var id: String
        public var version: String
        /// The first 12 hex digits of the config's SHA-256.
        public var config: String
        public var lastSeen: Date
    }

    /// An instance counts as running while its last heartbeat is this recent.
    static let instanceWindow: TimeInterval = 3 * 10

    public struct HourCount: Codable, Equatable, Sendable {
        public var hour: Int
        public var count: Int
    }

    /// Builds the report from the store and, when it can list users, the
    /// legacy source.
    public static func build(
        config: ProxyConfig, store: any StateStore, source: (any LegacySource)?, sessions: SessionDrain? = nil,
        at now: Date
    ) async throws -> StatusReport {
        let figures = try await store.statusFigures(at: now)
        let live = InstanceRecord.live(try await store.instances(), at: now, window: instanceWindow)
        var legacyUsers: Int?
        var disabled: Int?
        var remaining: Int?
        if let source {
            let migratedIDs = try await store.migratedLegacyIDs()
            let counts = Mutex((active: 0, inactive: 0, left: 0))
            do {
                try await source.forEachUser { account in
                    counts.withLock { counts in
                        guard account.active else {
                            counts.inactive += 1
                            return
                        }
                        counts.active += 1
                        if !migratedIDs.contains(account.legacyID) { counts.left += 1 }
                    }
                }
                (legacyUsers, disabled, remaining) = counts.withLock { ($0.active, $0.inactive, $0.left) }
            } catch LegacySourceError.notConfigured {
                // Totals stay unknown; everything else is still reported.
            }
        }
        let rate =
            figures.migratedLastHour > 0
            ? Double(figures.migratedLastHour) : Double(figures.migratedLastDay) / 24
        let fallbacks = figures.logins.filter { $0.key.hasPrefix("legacy:") }
        return StatusReport(
            generatedAt: now, mode: config.migration.mode.rawValue, rolloutPercent: config.migration.rolloutPercent,
            ratePerSecond: config.migration.ratePerSecond, burst: config.migration.burst, legacyUsers: legacyUsers,
            legacyDisabledUsers: disabled, migrated: figures.migratedUsers, remaining: remaining,
            percentMigrated: legacyUsers.flatMap { total in
                total == 0 ? nil : (Double(total - (remaining ?? 0)) / Double(total) * 10_000).rounded() / 100
            },
            migratedLastHour: figures.migratedLastHour, migratedLastDay: figures.migratedLastDay,
            currentRatePerHour: rate,
            etaSeconds: Self.eta(remaining: remaining, rate: rate, settings: config.migration),
            etaAssumes: Self.etaAssumptions(
                remaining: remaining, rate: rate, lastHour: figures.migratedLastHour > 0, settings: config.migration),
            recordsByState: Dictionary(uniqueKeysWithValues: figures.records.map { ($0.key.rawValue, $0.value) }),
            failuresByReason: figures.failuresByReason,
            fallbacksByReason: Self.withoutPrefix(fallbacks),
            fallbacksLastDay: Self.withoutPrefix(figures.loginsLastDay.filter { $0.key.hasPrefix("legacy:") }),
            newByReason: Self.withoutPrefix(figures.logins.filter { $0.key.hasPrefix("new:") }),
            newLastDay: Self.withoutPrefix(figures.loginsLastDay.filter { $0.key.hasPrefix("new:") }),
            wrongPasswords: figures.wrongPasswords, wouldMigrate: figures.wouldMigrate,
            mfaCarried: figures.mfaCarried,
            mfaReenrollRequired: figures.mfaReenrollRequired, consentsCarried: figures.consentsCarried,
            outboxBacklog: figures.outboxBacklog, legacySessions: sessions,
            migrationsByHour: figures.migrationsByHour.sorted { $0.key < $1.key }.map {
                HourCount(hour: $0.key, count: $0.value)
            },
            instances: live.map {
                Instance(
                    id: $0.id, version: $0.version, config: String($0.configDigest.prefix(12)), lastSeen: $0.heartbeatAt
                )
            }, configsDiffer: InstanceRecord.configsDiffer(live))
    }

    /// Only users inside the rollout migrate, and only in `migrate` mode: the
    /// ETA is for that share (rollout is by a hash of the identifier, so the
    /// share of the remaining users is the rollout percentage).
    static func eta(remaining: Int?, rate: Double, settings: MigrationSettings) -> Double? {
        guard settings.mode == .migrate, let remaining else { return nil }
        let reachable = Double(remaining) * settings.rolloutPercent / 100
        if reachable < 1 { return 0 }
        return rate > 0 ? reachable / rate * 3600 : nil
    }

    static func etaAssumptions(remaining: Int?, rate: Double, lastHour: Bool, settings: MigrationSettings)
        -> String
    {
        guard settings.mode == .migrate else { return "mode is \(settings.mode.rawValue): nobody migrates" }
        guard let remaining else { return "legacy's user count is unknown (set legacy.all_users_query)" }
        var parts = [
            rate > 0
                ? "the \(lastHour ? "last hour's" : "last day's") rate of \(number(rate)) migrations/h holds"
                : "no migrations in the last day, so no rate"
        ]
        if settings.rolloutPercent < 100 {
            let reachable = Int((Double(remaining) * settings.rolloutPercent / 100).rounded())
            parts.append(
                "it counts the ≈\(reachable) of \(remaining) remaining users inside the \(number(settings.rolloutPercent)) % rollout; the rest stay on legacy"
            )
        }
        if !settings.deny.isEmpty {
            parts.append(
                "users matching the \(settings.deny.count) deny pattern(s) never migrate but are still counted")
        }
        parts.append("only users who log in migrate")
        return parts.joined(separator: "; ")
    }

    private static func withoutPrefix(_ counts: [String: Int]) -> [String: Int] {
        // "destination:reason" → "reason".
        Dictionary(
            uniqueKeysWithValues: counts.map { key, value in
                (key.firstIndex(of: ":").map { String(key[key.index(after: $0)...]) } ?? key, value)
            })
    }

    /// Sorted-key JSON with snake_case names and ISO 8601 times, for scripts.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> StatusReport {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(StatusReport.self, from: data)
    }
}
