import FerryConfig
import FerryStore
import Foundation

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
    /// Seconds until `remaining` reaches zero at the current rate.
    public var etaSeconds: Double?
    public var recordsByState: [String: Int]
    /// Users left on legacy by a refusal or a policy, by "state: reason".
    public var failuresByReason: [String: Int]
    /// Logins sent to legacy, by reason, all time and in the last 24 hours.
    public var fallbacksByReason: [String: Int]
    public var fallbacksLastDay: [String: Int]
    public var wrongPasswords: Int
    public var mfaCarried: Int
    public var mfaReenrollRequired: Int
    public var consentsCarried: Int
    public var outboxBacklog: Int
    public var legacySessions: SessionDrain?
    /// Migrations per hour (unix hour → count), oldest first, for charts.
    public var migrationsByHour: [HourCount]

    public struct HourCount: Codable, Equatable, Sendable {
        public var hour: Int
        public var count: Int
    }

    /// Builds the report from the store and, when it can list users, the
    /// legacy source.
    public static func build(
        config: ProxyConfig, store: any StateStore, source: (any LegacySource)?, sessions: SessionDrain? = nil,
        at now: Date
    ) throws -> StatusReport {
        let figures = try store.statusFigures(at: now)
        var legacyUsers: Int?
        var disabled: Int?
        var remaining: Int?
        if let source {
            let migratedIDs = try store.migratedLegacyIDs()
            var active = 0
            var inactive = 0
            var left = 0
            do {
                try source.forEachUser { account in
                    guard account.active else {
                        inactive += 1
                        return
                    }
                    active += 1
                    if !migratedIDs.contains(account.legacyID) { left += 1 }
                }
                (legacyUsers, disabled, remaining) = (active, inactive, left)
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
            etaSeconds: remaining.flatMap { left in left == 0 ? 0 : rate > 0 ? Double(left) / rate * 3600 : nil },
            recordsByState: Dictionary(uniqueKeysWithValues: figures.records.map { ($0.key.rawValue, $0.value) }),
            failuresByReason: figures.failuresByReason,
            fallbacksByReason: Self.withoutPrefix(fallbacks),
            fallbacksLastDay: Self.withoutPrefix(figures.loginsLastDay.filter { $0.key.hasPrefix("legacy:") }),
            wrongPasswords: figures.wrongPasswords, mfaCarried: figures.mfaCarried,
            mfaReenrollRequired: figures.mfaReenrollRequired, consentsCarried: figures.consentsCarried,
            outboxBacklog: figures.outboxBacklog, legacySessions: sessions,
            migrationsByHour: figures.migrationsByHour.sorted { $0.key < $1.key }.map {
                HourCount(hour: $0.key, count: $0.value)
            })
    }

    private static func withoutPrefix(_ counts: [String: Int]) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: counts.map { (String($0.key.dropFirst("legacy:".count)), $0.value) })
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
