import Logging
import PostgresNIO

/// Ferry's tables on PostgreSQL, as numbered versions. Several instances may
/// start at once: each applies what is missing inside one transaction holding
/// an advisory lock, so one does the work and the others find it done. DDL is
/// transactional in PostgreSQL, so a version is applied whole or not at all.
enum PostgresSchema {
    /// `pg_advisory_xact_lock` keys: any two constants Ferry alone uses.
    static let migrationLock: Int64 = 0x6665_7272_7901
    static let auditLock: Int64 = 0x6665_7272_7902

    /// Timestamps are `double precision` seconds since 1970, as the SQLite
    /// store's REAL columns, so an audit event hashes the same on both engines.
    static let versions: [(version: Int, description: String, statements: [String])] = [
        (
            1, "records, outbox, audit, tally, sessions, instances",
            [
                """
                CREATE TABLE migration_records (
                    identifier text PRIMARY KEY,
                    legacy_id text,
                    new_id text,
                    state text NOT NULL CHECK (state IN ('legacy', 'provisioning', 'migrated', 'failed', 'skipped')),
                    legacy_scheme text,
                    mfa_summary text,
                    consent_summary text,
                    first_seen_at double precision NOT NULL,
                    updated_at double precision NOT NULL,
                    migrated_at double precision,
                    attempts integer NOT NULL DEFAULT 0,
                    failures integer NOT NULL DEFAULT 0,
                    last_failure text,
                    would_migrate_at double precision,
                    new_login text
                )
                """,
                "CREATE INDEX migration_records_state ON migration_records (state, updated_at)",
                "CREATE INDEX migration_records_migrated_at ON migration_records (migrated_at)",
                "CREATE INDEX migration_records_legacy_id ON migration_records (legacy_id)",
                """
                CREATE TABLE outbox (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    identifier text NOT NULL REFERENCES migration_records (identifier),
                    payload bytea NOT NULL,
                    attempts integer NOT NULL DEFAULT 0,
                    next_attempt_at double precision NOT NULL,
                    created_at double precision NOT NULL,
                    completed_at double precision,
                    last_error text,
                    leased_by text
                )
                """,
                "CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE completed_at IS NULL",
                "CREATE INDEX outbox_identifier ON outbox (identifier) WHERE completed_at IS NULL",
                "CREATE INDEX outbox_completed ON outbox (completed_at) WHERE completed_at IS NOT NULL",
                """
                CREATE TABLE audit_log (
                    sequence bigint PRIMARY KEY,
                    at double precision NOT NULL,
                    kind text NOT NULL,
                    identifier text,
                    details text NOT NULL,
                    previous_hash text NOT NULL,
                    hash text NOT NULL
                )
                """,
                """
                CREATE FUNCTION ferry_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$
                """,
                """
                CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
                    FOR EACH ROW EXECUTE FUNCTION ferry_audit_log_append_only()
                """,
                """
                CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                    FOR EACH STATEMENT EXECUTE FUNCTION ferry_audit_log_append_only()
                """,
                """
                CREATE TABLE login_tally (
                    hour integer NOT NULL,
                    destination text NOT NULL,
                    reason text NOT NULL,
                    count bigint NOT NULL,
                    PRIMARY KEY (hour, destination, reason)
                )
                """,
                """
                CREATE TABLE legacy_sessions (
                    id_hash text PRIMARY KEY,
                    kind text NOT NULL CHECK (kind IN ('cookie', 'token')),
                    name text NOT NULL,
                    identifier text,
                    issued_at double precision NOT NULL,
                    expires_at double precision,
                    ended_at double precision,
                    expiry_source text NOT NULL
                )
                """,
                "CREATE INDEX legacy_sessions_expiry ON legacy_sessions (ended_at, expires_at)",
                """
                CREATE TABLE instances (
                    id text PRIMARY KEY,
                    version text NOT NULL,
                    config_digest text NOT NULL,
                    started_at double precision NOT NULL,
                    heartbeat_at double precision NOT NULL
                )
                """,
                """
                CREATE TABLE guard_events (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    scope text NOT NULL,
                    key text NOT NULL,
                    kind text NOT NULL,
                    at double precision NOT NULL,
                    origin text NOT NULL,
                    inserted_at double precision NOT NULL DEFAULT extract(epoch FROM clock_timestamp())
                )
                """,
                "CREATE INDEX guard_events_inserted ON guard_events (inserted_at)",
            ]
        )
    ]

    /// Whether Ferry has ever created its tables in this database.
    static func exists(_ client: PostgresClient, logger: Logger) async throws -> Bool {
        try await client.query("SELECT to_regclass('ferry_schema') IS NOT NULL", logger: logger).collect().first?
            .decode(Bool.self) ?? false
    }

    /// Brings the database to the newest version; returns the versions applied.
    @discardableResult
    static func migrate(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS ferry_schema (
                    version integer PRIMARY KEY,
                    description text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            var applied: Set<Int> = []
            for try await version in try await connection.query("SELECT version FROM ferry_schema", logger: logger)
                .decode(Int.self)
            {
                applied.insert(version)
            }
            var done: [Int] = []
            for entry in versions where !applied.contains(entry.version) {
                for statement in entry.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO ferry_schema (version, description) VALUES (\(entry.version), \(entry.description))",
                    logger: logger)
                done.append(entry.version)
            }
            return done
        }
    }
}
