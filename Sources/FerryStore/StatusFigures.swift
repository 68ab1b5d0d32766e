import Foundation
import GRDB

/// Logins by where they went and why, counted per hour.
public struct LoginTallyKey: Hashable, Sendable {
    public var hour: Int
    public var destination: String
    public var reason: String

    public init(hour: Int, destination: String, reason: String) {
        self.hour = hour
        self.destination = destination
        self.reason = reason
    }

    public init(at date: Date, destination: String, reason: String) {
        self.init(hour: Int(date.timeIntervalSince1970 / 3600), destination: destination, reason: reason)
    }
}

/// What the state store knows about the migration's progress, as of `at`.
public struct StoreFigures: Equatable, Sendable {
    public var at: Date
    /// Records per state (keyed by the identifier as typed).
    public var records: [MigrationState: Int] = [:]
    /// Distinct legacy users migrated (a user who logged in by username and by
    /// email counts once).
    public var migratedUsers = 0
    public var migratedLastHour = 0
    public var migratedLastDay = 0
    public var firstMigrationAt: Date?
    /// Migrated users whose MFA factors all went across, and those flagged for
    /// re-enrollment.
    public var mfaCarried = 0
    public var mfaReenrollRequired = 0
    public var consentsCarried = 0
    /// Users left on legacy by a failure or a policy, by reason.
    public var failuresByReason: [String: Int] = [:]
    public var wrongPasswords = 0
    /// Shadow mode: distinct legacy users whose right password was seen and
    /// who would have migrated, not migrated since.
    public var wouldMigrate = 0
    public var outboxBacklog = 0
    /// Logins by "destination:reason", all time and in the last 24 hours.
    public var logins: [String: Int] = [:]
    public var loginsLastDay: [String: Int] = [:]
    /// Migrations per hour (hours since 1970), for the progress chart.
    public var migrationsByHour: [Int: Int] = [:]

    public init(at: Date) { self.at = at }

    /// Counts one migrated user's MFA and consent summaries.
    mutating func countSummaries(mfa: String?, consents: String?) {
        if mfa?.contains("reenroll_required") == true {
            mfaReenrollRequired += 1
        } else if Self.counts(in: mfa).values.contains(where: { $0 > 0 }) {
            mfaCarried += 1
        }
        consentsCarried += Self.counts(in: consents).values.reduce(0, +)
    }

    /// "totp=1,recovery_codes=4,reenroll_required" → ["totp": 1, "recovery_codes": 4].
    static func counts(in summary: String?) -> [String: Int] {
        var counts: [String: Int] = [:]
        for part in (summary ?? "").split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, let value = Int(pair[1]) { counts[String(pair[0])] = value }
        }
        return counts
    }
}

extension SQLiteStateStore {
    static func registerStatusMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3: login tally") { db in
            try db.execute(
                sql: """
                    CREATE TABLE login_tally (
                        hour INTEGER NOT NULL,
                        destination TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        count INTEGER NOT NULL,
                        PRIMARY KEY (hour, destination, reason)
                    ) WITHOUT ROWID;
                    CREATE INDEX migration_records_migrated_at ON migration_records(migrated_at);
                    CREATE INDEX migration_records_legacy_id ON migration_records(legacy_id);
                    """)
        }
    }

    @discardableResult
    public func pruneLoginTally(before hour: Int) async throws -> Int {
        try await write { db in
            try db.execute(sql: "DELETE FROM login_tally WHERE hour < ?", arguments: [hour])
            return db.changesCount
        }
    }

    public func addLoginTally(_ counts: [LoginTallyKey: Int]) async throws {
        guard !counts.isEmpty else { return }
        try await write { db in
            for (key, count) in counts {
                try db.execute(
                    sql: """
                        INSERT INTO login_tally (hour, destination, reason, count) VALUES (?, ?, ?, ?)
                        ON CONFLICT(hour, destination, reason) DO UPDATE SET count = count + excluded.count
                        """,
                    arguments: [key.hour, key.destination, key.reason, count])
            }
        }
    }

    public func statusFigures(at now: Date) async throws -> StoreFigures {
        try await read { db in
            var figures = StoreFigures(at: now)
            let seconds = now.timeIntervalSince1970
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM migration_records GROUP BY state") {
                if let state = MigrationState(rawValue: row["state"]) { figures.records[state] = row["n"] }
            }
            let distinctMigrated = """
                SELECT COUNT(DISTINCT COALESCE(legacy_id, identifier)) FROM migration_records
                WHERE state = 'migrated'
                """
            figures.migratedUsers = try Int.fetchOne(db, sql: distinctMigrated) ?? 0
            figures.migratedLastHour =
                try Int.fetchOne(db, sql: distinctMigrated + " AND migrated_at >= ?", arguments: [seconds - 3600]) ?? 0
            figures.migratedLastDay =
                try Int.fetchOne(db, sql: distinctMigrated + " AND migrated_at >= ?", arguments: [seconds - 86_400])
                ?? 0
            figures.firstMigrationAt = try Double.fetchOne(
                db, sql: "SELECT MIN(migrated_at) FROM migration_records WHERE state = 'migrated'"
            ).map(Date.init(timeIntervalSince1970:))
            // One row per legacy user, so a user known under two identifiers is
            // counted once.
            let summaries = try Row.fetchCursor(
                db,
                sql: """
                    SELECT MAX(mfa_summary) AS mfa, MAX(consent_summary) AS consents FROM migration_records
                    WHERE state = 'migrated' GROUP BY COALESCE(legacy_id, identifier)
                    """)
            while let row = try summaries.next() {
                figures.countSummaries(mfa: row["mfa"], consents: row["consents"])
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT state, COALESCE(last_failure, state) AS reason, COUNT(*) AS n FROM migration_records
                    WHERE state IN ('failed', 'skipped') GROUP BY state, reason
                    """)
            {
                figures.failuresByReason["\(row["state"] as String): \(row["reason"] as String)", default: 0] +=
                    row["n"] as Int
            }
            figures.wrongPasswords = try Int.fetchOne(db, sql: "SELECT SUM(failures) FROM migration_records") ?? 0
            figures.wouldMigrate =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT COUNT(DISTINCT COALESCE(legacy_id, identifier)) FROM migration_records
                        WHERE would_migrate_at IS NOT NULL AND state != 'migrated'
                        """) ?? 0
            figures.outboxBacklog =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE completed_at IS NULL") ?? 0
            let dayAgo = Int(seconds / 3600) - 24
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT destination || ':' || reason AS label, SUM(count) AS total,
                        SUM(CASE WHEN hour > ? THEN count ELSE 0 END) AS recent
                    FROM login_tally GROUP BY label
                    """, arguments: [dayAgo])
            {
                figures.logins[row["label"]] = row["total"]
                let recent: Int = row["recent"]
                if recent > 0 { figures.loginsLastDay[row["label"]] = recent }
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT CAST(migrated_at / 3600 AS INTEGER) AS hour, COUNT(*) AS n FROM migration_records
                    WHERE state = 'migrated' AND migrated_at IS NOT NULL GROUP BY hour
                    """)
            {
                figures.migrationsByHour[row["hour"]] = row["n"]
            }
            return figures
        }
    }

    /// The legacy ids of every migrated user, to tell who remains.
    public func migratedLegacyIDs() async throws -> Set<String> {
        try await read { db in
            Set(
                try String.fetchAll(
                    db,
                    sql:
                        "SELECT DISTINCT legacy_id FROM migration_records WHERE state = 'migrated' AND legacy_id IS NOT NULL"
                ))
        }
    }

    /// Whether the legacy user with this id is migrated, under any identifier.
    public func hasMigrated(legacyID: String) async throws -> Bool {
        try await read { db in
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM migration_records WHERE legacy_id = ? AND state = 'migrated')",
                arguments: [legacyID]) ?? false
        }
    }
}
