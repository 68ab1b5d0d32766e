import Foundation
import PostgresNIO

/// Figures for `ferry status`, the login tally and the observed legacy
/// sessions, on PostgreSQL: the same questions as the SQLite store asks.
extension PostgresStateStore {
    public func addLoginTally(_ counts: [LoginTallyKey: Int]) async throws {
        guard !counts.isEmpty else { return }
        // One statement for the batch: arrays of the keys, unnested.
        let keys = Array(counts)
        let hours = keys.map { $0.key.hour }
        let destinations = keys.map { $0.key.destination }
        let reasons = keys.map { $0.key.reason }
        let amounts = keys.map { $0.value }
        try await execute(
            """
            INSERT INTO login_tally (hour, destination, reason, count)
            SELECT * FROM unnest(\(hours)::integer[], \(destinations)::text[], \(reasons)::text[], \(amounts)::bigint[])
            ON CONFLICT (hour, destination, reason) DO UPDATE SET count = login_tally.count + excluded.count
            """)
    }

    @discardableResult
    public func pruneLoginTally(before hour: Int) async throws -> Int {
        try await execute("DELETE FROM login_tally WHERE hour < \(hour) RETURNING hour")
    }

    public func statusFigures(at now: Date) async throws -> StoreFigures {
        let seconds = now.timeIntervalSince1970
        let dayAgo = Int(seconds / 3600) - 24
        return try await transaction { connection, logger in
            // One snapshot for every figure, as SQLite's read transaction gives.
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
                try await connection.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
            }
            func count(_ query: PostgresQuery) async throws -> Int {
                try await rows(query).first?[0].decode(Int?.self) ?? 0
            }
            var figures = StoreFigures(at: now)
            for row in try await rows("SELECT state, COUNT(*)::bigint AS n FROM migration_records GROUP BY state") {
                if let state = MigrationState(rawValue: try row["state"].decode(String.self)) {
                    figures.records[state] = try row["n"].decode(Int.self)
                }
            }
            let distinct = "SELECT COUNT(DISTINCT COALESCE(legacy_id, identifier))::bigint FROM migration_records"
            figures.migratedUsers = try await count("\(unescaped: distinct) WHERE state = 'migrated'")
            figures.migratedLastHour = try await count(
                "\(unescaped: distinct) WHERE state = 'migrated' AND migrated_at >= \(seconds - 3600)")
            figures.migratedLastDay = try await count(
                "\(unescaped: distinct) WHERE state = 'migrated' AND migrated_at >= \(seconds - 86_400)")
            figures.firstMigrationAt = try await rows(
                "SELECT MIN(migrated_at) AS first FROM migration_records WHERE state = 'migrated'"
            ).first?["first"].decode(Double?.self).map(Date.init(timeIntervalSince1970:))
            for row in try await rows(
                """
                SELECT MAX(mfa_summary) AS mfa, MAX(consent_summary) AS consents FROM migration_records
                WHERE state = 'migrated' GROUP BY COALESCE(legacy_id, identifier)
                """)
            {
                figures.countSummaries(
                    mfa: try row["mfa"].decode(String?.self), consents: try row["consents"].decode(String?.self))
            }
            for row in try await rows(
                """
                SELECT state, COALESCE(last_failure, state) AS reason, COUNT(*)::bigint AS n FROM migration_records
                WHERE state IN ('failed', 'skipped') GROUP BY state, reason
                """)
            {
                let label = "\(try row["state"].decode(String.self)): \(try row["reason"].decode(String.self))"
                figures.failuresByReason[label, default: 0] += try row["n"].decode(Int.self)
            }
            figures.wrongPasswords = try await count("SELECT SUM(failures)::bigint FROM migration_records")
            figures.wouldMigrate = try await count(
                "\(unescaped: distinct) WHERE would_migrate_at IS NOT NULL AND state != 'migrated'")
            figures.outboxBacklog = try await count("SELECT COUNT(*)::bigint FROM outbox WHERE completed_at IS NULL")
            for row in try await rows(
                """
                SELECT destination || ':' || reason AS label, SUM(count)::bigint AS total,
                    SUM(CASE WHEN hour > \(dayAgo) THEN count ELSE 0 END)::bigint AS recent
                FROM login_tally GROUP BY label
                """)
            {
                let label = try row["label"].decode(String.self)
                figures.logins[label] = try row["total"].decode(Int.self)
                let recent = try row["recent"].decode(Int.self)
                if recent > 0 { figures.loginsLastDay[label] = recent }
            }
            for row in try await rows(
                """
                SELECT floor(migrated_at / 3600)::bigint AS hour, COUNT(*)::bigint AS n FROM migration_records
                WHERE state = 'migrated' AND migrated_at IS NOT NULL GROUP BY hour
                """)
            {
                figures.migrationsByHour[try row["hour"].decode(Int.self)] = try row["n"].decode(Int.self)
            }
            return figures
        }
    }

    public func migratedLegacyIDs() async throws -> Set<String> {
        Set(
            try await rows(
                "SELECT DISTINCT legacy_id FROM migration_records WHERE state = 'migrated' AND legacy_id IS NOT NULL"
            ) { try $0["legacy_id"].decode(String.self) })
    }

    public func hasMigrated(legacyID: String) async throws -> Bool {
        try await rows(
            """
            SELECT EXISTS (SELECT 1 FROM migration_records WHERE legacy_id = \(legacyID) AND state = 'migrated') AS yes
            """
        ) { try $0["yes"].decode(Bool.self) }.first ?? false
    }

    // MARK: Legacy sessions

    public func recordLegacySession(_ session: ObservedSession) async throws {
        try await execute(
            """
            INSERT INTO legacy_sessions (id_hash, kind, name, identifier, issued_at, expires_at, ended_at, expiry_source)
            VALUES (\(session.idHash), \(session.kind.rawValue), \(session.name), \(session.identifier),
                \(session.issuedAt.timeIntervalSince1970), \(session.expiresAt?.timeIntervalSince1970),
                \(session.endedAt?.timeIntervalSince1970), \(session.expirySource))
            ON CONFLICT (id_hash) DO UPDATE SET
                identifier = COALESCE(excluded.identifier, legacy_sessions.identifier),
                expires_at = excluded.expires_at,
                ended_at = excluded.ended_at,
                expiry_source = excluded.expiry_source
            """)
    }

    public func legacySession(idHash: String) async throws -> ObservedSession? {
        try await rows("SELECT * FROM legacy_sessions WHERE id_hash = \(idHash)") { row in
            ObservedSession(
                idHash: try row["id_hash"].decode(String.self),
                kind: ObservedSession.Kind(rawValue: try row["kind"].decode(String.self)) ?? .cookie,
                name: try row["name"].decode(String.self), identifier: try row["identifier"].decode(String?.self),
                issuedAt: Date(timeIntervalSince1970: try row["issued_at"].decode(Double.self)),
                expiresAt: try row["expires_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)),
                endedAt: try row["ended_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)),
                expirySource: try row["expiry_source"].decode(String.self))
        }.first
    }

    public func endLegacySession(idHash: String, at: Date) async throws {
        try await execute(
            """
            UPDATE legacy_sessions SET ended_at = \(at.timeIntervalSince1970)
            WHERE id_hash = \(idHash) AND ended_at IS NULL
            """)
    }

    @discardableResult
    public func pruneLegacySessions(endedBefore cutoff: Date) async throws -> Int {
        let seconds = cutoff.timeIntervalSince1970
        return try await execute(
            """
            DELETE FROM legacy_sessions
            WHERE (ended_at IS NOT NULL AND ended_at < \(seconds))
                OR (ended_at IS NULL AND expires_at IS NOT NULL AND expires_at < \(seconds))
            RETURNING id_hash
            """)
    }

    public func sessionDrain(at now: Date) async throws -> SessionDrain {
        let rows = try await rows(
            """
            SELECT kind, COUNT(*)::bigint AS n, COUNT(DISTINCT identifier)::bigint AS users,
                MAX(expires_at) AS last, COUNT(*) FILTER (WHERE expires_at IS NULL)::bigint AS open
            FROM legacy_sessions
            WHERE ended_at IS NULL AND (expires_at IS NULL OR expires_at > \(now.timeIntervalSince1970))
            GROUP BY kind
            """
        ) { row in
            (
                kind: try row["kind"].decode(String.self), count: try row["n"].decode(Int.self),
                users: try row["users"].decode(Int.self),
                last: try row["last"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)),
                open: try row["open"].decode(Int.self)
            )
        }
        var drain = SessionDrain()
        for row in rows {
            if row.kind == "token" {
                (drain.tokensAlive, drain.usersWithTokens, drain.lastTokenExpiry) = (row.count, row.users, row.last)
            } else {
                (drain.sessionsAlive, drain.usersWithSessions, drain.lastSessionExpiry) = (
                    row.count, row.users, row.last
                )
            }
            drain.withoutExpiry += row.open
        }
        return drain
    }

    // MARK: Guard events

    public func publishGuardEvents(_ events: [GuardEvent]) async throws {
        guard !events.isEmpty else { return }
        try await execute(
            """
            INSERT INTO guard_events (scope, key, kind, at, origin)
            SELECT * FROM unnest(\(events.map(\.scope.rawValue))::text[], \(events.map(\.key))::text[],
                \(events.map(\.kind.rawValue))::text[], \(events.map(\.at.timeIntervalSince1970))::float8[],
                \(events.map(\.origin))::text[])
            """)
    }

    public func guardEvents(insertedSince since: Date, limit: Int) async throws -> [StoredGuardEvent] {
        try await rows(
            """
            SELECT * FROM guard_events WHERE inserted_at >= \(since.timeIntervalSince1970)
            ORDER BY inserted_at, id LIMIT \(limit)
            """
        ) { row in
            StoredGuardEvent(
                id: try row["id"].decode(Int64.self),
                insertedAt: Date(timeIntervalSince1970: try row["inserted_at"].decode(Double.self)),
                event: GuardEvent(
                    scope: GuardEvent.Scope(rawValue: try row["scope"].decode(String.self)) ?? .identifier,
                    key: try row["key"].decode(String.self),
                    kind: GuardEvent.Kind(rawValue: try row["kind"].decode(String.self)) ?? .failure,
                    at: Date(timeIntervalSince1970: try row["at"].decode(Double.self)),
                    origin: try row["origin"].decode(String.self)))
        }
    }

    @discardableResult
    public func pruneGuardEvents(before cutoff: Date) async throws -> Int {
        try await execute(
            "DELETE FROM guard_events WHERE inserted_at < \(cutoff.timeIntervalSince1970) RETURNING id")
    }

    // MARK: Instances

    public func heartbeat(_ instance: InstanceRecord) async throws {
        try await execute(
            """
            INSERT INTO instances (id, version, config_digest, started_at, heartbeat_at)
            VALUES (\(instance.id), \(instance.version), \(instance.configDigest),
                \(instance.startedAt.timeIntervalSince1970), \(instance.heartbeatAt.timeIntervalSince1970))
            ON CONFLICT (id) DO UPDATE SET version = excluded.version, config_digest = excluded.config_digest,
                heartbeat_at = excluded.heartbeat_at
            """)
    }

    public func instances() async throws -> [InstanceRecord] {
        try await rows("SELECT * FROM instances ORDER BY started_at, id") { row in
            InstanceRecord(
                id: try row["id"].decode(String.self), version: try row["version"].decode(String.self),
                configDigest: try row["config_digest"].decode(String.self),
                startedAt: Date(timeIntervalSince1970: try row["started_at"].decode(Double.self)),
                heartbeatAt: Date(timeIntervalSince1970: try row["heartbeat_at"].decode(Double.self)))
        }
    }

    @discardableResult
    public func pruneInstances(silentSince cutoff: Date) async throws -> Int {
        try await execute("DELETE FROM instances WHERE heartbeat_at < \(cutoff.timeIntervalSince1970) RETURNING id")
    }
}
