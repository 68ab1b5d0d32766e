import Foundation
import GRDB

/// The state store in one SQLite file: WAL journal, a busy timeout, schema
/// changes through versioned migrations.
public final class SQLiteStateStore: StateStore {
    let pool: DatabasePool
    let path: String
    /// The file the pool opened. SQLite keeps writing to a deleted or replaced
    /// file's old inode, where every change is lost; each call checks first.
    private let identity: FileIdentity?

    /// Opens the store at `path`. With `create: false` a missing file is an
    /// error rather than a new empty store (operator verbs never create one).
    public init(path: String, busyTimeout: Duration = .seconds(5), create: Bool = true) throws {
        if !create && FileIdentity(path: path) == nil { throw StateStoreError.missing(path) }
        var configuration = Configuration()
        let (seconds, attoseconds) = busyTimeout.components
        configuration.busyMode = .timeout(Double(seconds) + Double(attoseconds) / 1e18)
        pool = try DatabasePool(path: path, configuration: configuration)
        self.path = path
        identity = FileIdentity(path: path)
        try Self.migrator.migrate(pool)
    }

    /// Throws when the database file is no longer the one opened.
    func checkFile() throws {
        guard let identity else { return }
        guard let current = FileIdentity(path: path) else { throw StateStoreError.missing(path) }
        guard current == identity else { throw StateStoreError.replaced(path) }
    }

    /// GRDB's async write: the transaction runs on the pool's writer queue,
    /// so a locked database never holds a thread of Swift's cooperative pool.
    func write<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        try checkFile()
        return try await pool.write(updates)
    }

    /// GRDB's async read, on one of the pool's reader queues.
    func read<T: Sendable>(_ value: @Sendable (Database) throws -> T) async throws -> T {
        try checkFile()
        return try await pool.read(value)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: records, outbox, audit, config history") { db in
            try db.execute(
                sql: """
                    CREATE TABLE migration_records (
                        identifier TEXT PRIMARY KEY,
                        legacy_id TEXT,
                        new_id TEXT,
                        state TEXT NOT NULL CHECK (state IN ('legacy', 'provisioning', 'migrated', 'failed', 'skipped')),
                        legacy_scheme TEXT,
                        mfa_summary TEXT,
                        consent_summary TEXT,
                        first_seen_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        migrated_at REAL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        failures INTEGER NOT NULL DEFAULT 0,
                        last_failure TEXT
                    );
                    CREATE INDEX migration_records_state ON migration_records(state);
                    CREATE TABLE outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        identifier TEXT NOT NULL REFERENCES migration_records(identifier),
                        payload BLOB NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at REAL NOT NULL,
                        created_at REAL NOT NULL,
                        completed_at REAL,
                        last_error TEXT
                    );
                    CREATE INDEX outbox_due ON outbox(completed_at, next_attempt_at);
                    CREATE TABLE audit_log (
                        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                        at REAL NOT NULL,
                        kind TEXT NOT NULL,
                        identifier TEXT,
                        details TEXT NOT NULL,
                        previous_hash TEXT NOT NULL,
                        hash TEXT NOT NULL
                    );
                    CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
                        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
                        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TABLE config_history (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        applied_at REAL NOT NULL,
                        trigger TEXT NOT NULL,
                        changed_keys TEXT NOT NULL,
                        config_sha256 TEXT NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2: shadow-mode verdicts") { db in
            try db.execute(sql: "ALTER TABLE migration_records ADD COLUMN would_migrate_at REAL")
        }
        registerStatusMigration(&migrator)
        registerSessionMigration(&migrator)
        migrator.registerMigration("v5: provisioned login name") { db in
            try db.execute(sql: "ALTER TABLE migration_records ADD COLUMN new_login TEXT")
        }
        migrator.registerMigration("v6: outbox leases, instances") { db in
            try db.execute(
                sql: """
                    ALTER TABLE outbox ADD COLUMN leased_by TEXT;
                    CREATE TABLE instances (
                        id TEXT PRIMARY KEY,
                        version TEXT NOT NULL,
                        config_digest TEXT NOT NULL,
                        started_at REAL NOT NULL,
                        heartbeat_at REAL NOT NULL
                    );
                    CREATE TABLE guard_events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        scope TEXT NOT NULL,
                        key TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        at REAL NOT NULL,
                        origin TEXT NOT NULL,
                        inserted_at REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0)
                    );
                    CREATE INDEX guard_events_inserted ON guard_events(inserted_at);
                    """)
        }
        return migrator
    }

    // MARK: Records

    public func record(for identifier: String) async throws -> MigrationRecord? {
        try await read { db in try Self.record(db, identifier) }
    }

    static func record(_ db: Database, _ identifier: String) throws -> MigrationRecord? {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT * FROM migration_records WHERE identifier = ?", arguments: [identifier])
        else { return nil }
        return MigrationRecord(
            identifier: row["identifier"], legacyID: row["legacy_id"], newID: row["new_id"],
            state: MigrationState(rawValue: row["state"]) ?? .legacy, legacyScheme: row["legacy_scheme"],
            mfaSummary: row["mfa_summary"], consentSummary: row["consent_summary"],
            firstSeenAt: Date(timeIntervalSince1970: row["first_seen_at"]),
            updatedAt: Date(timeIntervalSince1970: row["updated_at"]),
            migratedAt: (row["migrated_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            attempts: row["attempts"],
            failures: row["failures"], lastFailure: row["last_failure"],
            wouldMigrateAt: (row["would_migrate_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            newLogin: row["new_login"])
    }

    public func seen(_ identifier: String, legacyID: String?, legacyScheme: String?, at: Date) async throws
        -> MigrationRecord
    {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO migration_records (identifier, legacy_id, state, legacy_scheme, first_seen_at, updated_at)
                    VALUES (?, ?, 'legacy', ?, ?, ?)
                    ON CONFLICT(identifier) DO UPDATE SET
                        legacy_id = COALESCE(excluded.legacy_id, legacy_id),
                        legacy_scheme = COALESCE(excluded.legacy_scheme, legacy_scheme),
                        updated_at = excluded.updated_at
                    """,
                arguments: [identifier, legacyID, legacyScheme, at.timeIntervalSince1970, at.timeIntervalSince1970])
            return try Self.record(db, identifier)!
        }
    }

    public func claimProvisioning(_ identifier: String, job payload: [UInt8], at: Date, leaseUntil: Date) async throws
        -> ProvisioningClaim
    {
        // One write transaction: SQLite serializes writers, so the state check
        // and the transition cannot interleave with another claim.
        try await write { db in
            guard let record = try Self.record(db, identifier) else {
                throw StateStoreError.unknownIdentifier
            }
            switch record.state {
            case .provisioning: return .alreadyProvisioning
            case .migrated: return .alreadyMigrated
            case .failed: return .notEligible(record.state)
            case .legacy, .skipped: break
            }
            try db.execute(
                sql:
                    "UPDATE migration_records SET state = 'provisioning', attempts = attempts + 1, updated_at = ? WHERE identifier = ?",
                arguments: [at.timeIntervalSince1970, identifier])
            try db.execute(
                sql: "INSERT INTO outbox (identifier, payload, next_attempt_at, created_at) VALUES (?, ?, ?, ?)",
                arguments: [identifier, Data(payload), leaseUntil.timeIntervalSince1970, at.timeIntervalSince1970])
            return .claimed(jobID: db.lastInsertedRowID)
        }
    }

    public func completeMigration(_ completion: MigrationCompletion, at: Date) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE migration_records SET state = 'migrated', new_id = ?, mfa_summary = ?, consent_summary = ?,
                        migrated_at = ?, updated_at = ?, last_failure = NULL, new_login = ? WHERE identifier = ?
                    """,
                arguments: [
                    completion.newID, completion.mfaSummary, completion.consentSummary, at.timeIntervalSince1970,
                    at.timeIntervalSince1970, completion.newLogin, completion.identifier,
                ])
            guard db.changesCount == 1 else { throw StateStoreError.unknownIdentifier }
            try Self.closeJob(db, completion.jobID, at: at)
            try Self.appendAudit(
                db, kind: "migrated", identifier: completion.identifier, details: completion.audit, at: at)
        }
    }

    public func markFailed(
        _ identifier: String, state: MigrationState, reason: String, closingJob jobID: Int64?,
        audit: [String: String], at: Date
    ) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE migration_records SET state = ?, last_failure = ?, updated_at = ? WHERE identifier = ?",
                arguments: [state.rawValue, reason, at.timeIntervalSince1970, identifier])
            guard db.changesCount == 1 else { throw StateStoreError.unknownIdentifier }
            if let jobID { try Self.closeJob(db, jobID, at: at) }
            // `legacy` here releases the claim: the user migrates on a later login.
            let kind = state == .legacy ? "migration_released" : "migration_\(state.rawValue)"
            try Self.appendAudit(db, kind: kind, identifier: identifier, details: audit, at: at)
        }
    }

    public func recordWouldMigrate(_ identifier: String, at: Date) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE migration_records SET would_migrate_at = ?, updated_at = ? WHERE identifier = ?",
                arguments: [at.timeIntervalSince1970, at.timeIntervalSince1970, identifier])
        }
    }

    public func recordFailedLogin(_ identifier: String, at: Date) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE migration_records SET failures = failures + 1, updated_at = ? WHERE identifier = ?",
                arguments: [at.timeIntervalSince1970, identifier])
        }
    }

    // MARK: Outbox

    public func leaseDueJobs(at: Date, limit: Int, until: Date, owner: String) async throws -> [OutboxJob] {
        try await write { db in
            try Row.fetchAll(
                db,
                sql: """
                    UPDATE outbox SET next_attempt_at = ?, leased_by = ?
                    WHERE id IN (
                        SELECT id FROM outbox WHERE completed_at IS NULL AND next_attempt_at <= ?
                        ORDER BY next_attempt_at LIMIT ?)
                    RETURNING id, identifier, payload, attempts, next_attempt_at, last_error
                    """,
                arguments: [until.timeIntervalSince1970, owner, at.timeIntervalSince1970, limit]
            ).map(Self.job).sorted { $0.id < $1.id }
        }
    }

    @discardableResult
    public func pruneFinishedJobs(completedBefore cutoff: Date) async throws -> Int {
        try await write { db in
            try db.execute(
                sql: "DELETE FROM outbox WHERE completed_at IS NOT NULL AND completed_at < ?",
                arguments: [cutoff.timeIntervalSince1970])
            return db.changesCount
        }
    }

    // MARK: Guard events

    public func publishGuardEvents(_ events: [GuardEvent]) async throws {
        guard !events.isEmpty else { return }
        try await write { db in
            for event in events {
                try db.execute(
                    sql: "INSERT INTO guard_events (scope, key, kind, at, origin) VALUES (?, ?, ?, ?, ?)",
                    arguments: [
                        event.scope.rawValue, event.key, event.kind.rawValue, event.at.timeIntervalSince1970,
                        event.origin,
                    ])
            }
        }
    }

    public func guardEvents(insertedSince since: Date, limit: Int) async throws -> [StoredGuardEvent] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM guard_events WHERE inserted_at >= ? ORDER BY inserted_at, id LIMIT ?",
                arguments: [since.timeIntervalSince1970, limit]
            ).compactMap { row in
                guard let scope = GuardEvent.Scope(rawValue: row["scope"]),
                    let kind = GuardEvent.Kind(rawValue: row["kind"])
                else { return nil }
                return StoredGuardEvent(
                    id: row["id"], insertedAt: Date(timeIntervalSince1970: row["inserted_at"]),
                    event: GuardEvent(
                        scope: scope, key: row["key"], kind: kind, at: Date(timeIntervalSince1970: row["at"]),
                        origin: row["origin"]))
            }
        }
    }

    @discardableResult
    public func pruneGuardEvents(before cutoff: Date) async throws -> Int {
        try await write { db in
            try db.execute(
                sql: "DELETE FROM guard_events WHERE inserted_at < ?", arguments: [cutoff.timeIntervalSince1970])
            return db.changesCount
        }
    }

    // MARK: Instances

    public func heartbeat(_ instance: InstanceRecord) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO instances (id, version, config_digest, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET version = excluded.version, config_digest = excluded.config_digest,
                        heartbeat_at = excluded.heartbeat_at
                    """,
                arguments: [
                    instance.id, instance.version, instance.configDigest, instance.startedAt.timeIntervalSince1970,
                    instance.heartbeatAt.timeIntervalSince1970,
                ])
        }
    }

    public func instances() async throws -> [InstanceRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM instances ORDER BY started_at, id").map { row in
                InstanceRecord(
                    id: row["id"], version: row["version"], configDigest: row["config_digest"],
                    startedAt: Date(timeIntervalSince1970: row["started_at"]),
                    heartbeatAt: Date(timeIntervalSince1970: row["heartbeat_at"]))
            }
        }
    }

    @discardableResult
    public func pruneInstances(silentSince cutoff: Date) async throws -> Int {
        try await write { db in
            try db.execute(
                sql: "DELETE FROM instances WHERE heartbeat_at < ?", arguments: [cutoff.timeIntervalSince1970])
            return db.changesCount
        }
    }

    public func pendingJob(for identifier: String) async throws -> OutboxJob? {
        try await read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT id, identifier, payload, attempts, next_attempt_at, last_error FROM outbox
                    WHERE completed_at IS NULL AND identifier = ? ORDER BY id DESC LIMIT 1
                    """,
                arguments: [identifier]
            ).map(Self.job)
        }
    }

    public func identifiers(in state: MigrationState, limit: Int) async throws -> [String] {
        try await read { db in
            try String.fetchAll(
                db, sql: "SELECT identifier FROM migration_records WHERE state = ? ORDER BY updated_at LIMIT ?",
                arguments: [state.rawValue, limit])
        }
    }

    static func job(_ row: Row) -> OutboxJob {
        OutboxJob(
            id: row["id"], identifier: row["identifier"], payload: [UInt8](row["payload"] as Data),
            attempts: row["attempts"], nextAttemptAt: Date(timeIntervalSince1970: row["next_attempt_at"]),
            lastError: row["last_error"])
    }

    /// The sealed secrets are not needed once the job is over.
    static func closeJob(_ db: Database, _ id: Int64, at: Date) throws {
        try db.execute(
            sql: "UPDATE outbox SET completed_at = ?, payload = X'', leased_by = NULL WHERE id = ?",
            arguments: [at.timeIntervalSince1970, id])
    }

    public func rescheduleJob(_ id: Int64, nextAttemptAt: Date, error: String) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, leased_by = NULL
                    WHERE id = ? AND completed_at IS NULL
                    """,
                arguments: [nextAttemptAt.timeIntervalSince1970, error, id])
        }
    }

    public func pendingJobCount() async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE completed_at IS NULL") ?? 0
        }
    }

    // MARK: Audit

    static let genesisHash = String(repeating: "0", count: 64)

    /// The text an event's hash covers: its predecessor's hash and its own fields.
    static func chainInput(
        previous: String, sequence: Int64, at: Double, kind: String, identifier: String?, details: String
    )
        -> [UInt8]
    {
        Array("\(previous)\n\(sequence)\n\(at)\n\(kind)\n\(identifier ?? "")\n\(details)".utf8)
    }

    @discardableResult
    public func appendAudit(kind: String, identifier: String?, details: [String: String], at: Date) async throws
        -> AuditEvent
    {
        try await write { db in try Self.appendAudit(db, kind: kind, identifier: identifier, details: details, at: at) }
    }

    /// Appends inside the caller's transaction, so an event is written exactly
    /// when the change it records is.
    @discardableResult
    static func appendAudit(_ db: Database, kind: String, identifier: String?, details: [String: String], at: Date)
        throws -> AuditEvent
    {
        let detailText = canonicalJSON(details)
        let last = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1")
        let previous: String = last?["hash"] ?? genesisHash
        let sequence: Int64 = (last?["sequence"] ?? 0) + 1
        let timestamp = at.timeIntervalSince1970
        let hash = AuditDigest.hex(
            chainInput(
                previous: previous, sequence: sequence, at: timestamp, kind: kind, identifier: identifier,
                details: detailText))
        try db.execute(
            sql:
                "INSERT INTO audit_log (sequence, at, kind, identifier, details, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [sequence, timestamp, kind, identifier, detailText, previous, hash])
        return AuditEvent(
            sequence: sequence, at: at, kind: kind, identifier: identifier, details: detailText,
            previousHash: previous, hash: hash)
    }

    public func auditHead() async throws -> (sequence: Int64, hash: String)? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1").map {
                ($0["sequence"], $0["hash"])
            }
        }
    }

    public func auditEvents(after sequence: Int64, limit: Int) async throws -> [AuditEvent] {
        try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM audit_log WHERE sequence > ? ORDER BY sequence LIMIT ?",
                arguments: [sequence, limit]
            ).map { row in
                AuditEvent(
                    sequence: row["sequence"], at: Date(timeIntervalSince1970: row["at"]), kind: row["kind"],
                    identifier: row["identifier"], details: row["details"], previousHash: row["previous_hash"],
                    hash: row["hash"])
            }
        }
    }

    public func verifyAuditChain() async throws -> AuditVerification {
        try await read { db in
            var previous = Self.genesisHash
            var expectedSequence: Int64 = 1
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM audit_log ORDER BY sequence")
            while let row = try cursor.next() {
                let sequence: Int64 = row["sequence"]
                guard sequence == expectedSequence else {
                    return .broken(atSequence: expectedSequence, reason: "event \(expectedSequence) is missing")
                }
                guard (row["previous_hash"] as String) == previous else {
                    return .broken(atSequence: sequence, reason: "does not point at the previous event's hash")
                }
                let hash = AuditDigest.hex(
                    Self.chainInput(
                        previous: previous, sequence: sequence, at: row["at"], kind: row["kind"],
                        identifier: row["identifier"],
                        details: row["details"]))
                guard hash == (row["hash"] as String) else {
                    return .broken(atSequence: sequence, reason: "its content does not match its hash")
                }
                previous = hash
                expectedSequence += 1
            }
            return .intact(events: Int(expectedSequence - 1))
        }
    }

    static func canonicalJSON(_ details: [String: String]) -> String {
        func quoted(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        return "{" + details.keys.sorted().map { "\(quoted($0)):\(quoted(details[$0]!))" }.joined(separator: ",") + "}"
    }
}

public enum StateStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownIdentifier
    /// The database file is not there (deleted under a running Ferry, or a
    /// mistyped path given to an operator verb).
    case missing(String)
    /// The database file was replaced after it was opened.
    case replaced(String)

    public var description: String {
        switch self {
        case .unknownIdentifier: "unknown identifier"
        case .missing(let path): "state store \(path) does not exist (deleted while Ferry ran, or a wrong path)"
        case .replaced(let path):
            "state store \(path) was replaced after Ferry opened it; restart Ferry to use the new file"
        }
    }
}

/// Device and inode of a file, to notice it being deleted or replaced.
struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
