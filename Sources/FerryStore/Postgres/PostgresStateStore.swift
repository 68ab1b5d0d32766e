import FerryConfig
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// The state store on PostgreSQL, shared by every Ferry instance behind one
/// balancer: the SQLite store's semantics, with row locks where SQLite had its
/// single writer. A claim locks the user's row (`FOR UPDATE`), so of many
/// simultaneous logins on many instances exactly one provisions; the retrier
/// leases due jobs with `FOR UPDATE SKIP LOCKED`, so two instances never take
/// the same job; audit appends take one advisory lock, so the chain is one
/// total order whichever instance writes.
public final class PostgresStateStore: StateStore {
    let client: PostgresClient
    let logger: Logger
    /// How long one store call may take before the caller stops waiting.
    let timeout: Duration
    public let location: PostgresLocation
    let create: Bool
    private let runner: Task<Void, Never>
    /// The schema migration, run once before the first query; a failed one
    /// (the database was down) is tried again by the next call.
    private let schema = Mutex<Task<Void, any Error>?>(nil)

    /// With `create: false` (operator verbs) a database without Ferry's
    /// tables is an error, never a new empty store: a mistyped URL would
    /// report zeros, or an "intact" empty audit chain.
    public init(
        location: PostgresLocation, timeout: Duration = .seconds(2), create: Bool = true,
        logger: Logger = Logger(label: "ferry")
    ) throws {
        self.create = create
        (client, self.logger) = try Self.client(location, logger: logger)
        self.location = location
        self.timeout = timeout
        runner = Task { [client] in await client.run() }
    }

    deinit { runner.cancel() }

    /// A pooled client for `location`, and the logger to give its calls: it
    /// logs connection trouble only, never queries or their values.
    static func client(_ location: PostgresLocation, logger: Logger) throws -> (PostgresClient, Logger) {
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password?.value,
            database: location.database, tls: try tls(location))
        configuration.options.maximumConnections = location.poolSize
        configuration.options.connectTimeout = .seconds(5)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .error)
        return (PostgresClient(configuration: configuration, backgroundLogger: quiet), quiet)
    }

    static func tls(_ location: PostgresLocation) throws -> PostgresClient.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch location.tls {
        case .disable: return .disable
        case .prefer, .require:
            // libpq's meaning: encrypted, the certificate not checked.
            tls.certificateVerification = .none
            return location.tls == .prefer ? .prefer(tls) : .require(tls)
        case .verifyFull:
            tls.certificateVerification = .fullVerification
            if let caFile = location.caFile {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            }
            return .require(tls)
        }
    }

    /// Applies the schema once; concurrent first calls share the one attempt.
    func ready() async throws {
        let attempt = schema.withLock { current in
            if let current { return current }
            let task = Task { [client, logger, create, location] in
                if !create, try await !PostgresSchema.exists(client, logger: logger) {
                    throw StateStoreError.missing("\(location)")
                }
                _ = try await PostgresSchema.migrate(client, logger: logger)
            }
            current = task
            return task
        }
        do {
            try await attempt.value
        } catch {
            schema.withLock { if $0 == attempt { $0 = nil } }
            throw error
        }
    }

    /// Runs `body` within the store's deadline, once the schema is there.
    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresClient, Logger) async throws -> T) async throws -> T {
        try await withDeadline(timeout) { [self] in
            try await ready()
            return try await body(client, logger)
        }
    }

    /// One query's rows, each turned into a value by `transform`.
    func rows<T: Sendable>(
        _ query: PostgresQuery, _ transform: @escaping @Sendable (PostgresRandomAccessRow) throws -> T
    )
        async throws -> [T]
    {
        try await run { client, logger in
            try await client.query(query, logger: logger).collect().map { try transform($0.makeRandomAccess()) }
        }
    }

    /// Runs a statement, returning how many rows it reported back (`RETURNING`).
    @discardableResult
    func execute(_ query: PostgresQuery) async throws -> Int {
        try await run { client, logger in try await client.query(query, logger: logger).collect().count }
    }

    /// One transaction: committed when `body` returns, rolled back when it throws.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T)
        async throws -> T
    {
        try await run { client, logger in
            do {
                return try await client.withTransaction(logger: logger) { connection in
                    try await body(connection, logger)
                }
            } catch let error as PostgresTransactionError {
                // Rolled back: the caller hears its own error, not the wrapper.
                if let cause = error.closureError ?? error.beginError ?? error.commitError { throw cause }
                throw error
            }
        }
    }

    // MARK: Records

    static func record(_ row: PostgresRandomAccessRow) throws -> MigrationRecord {
        MigrationRecord(
            identifier: try row["identifier"].decode(String.self),
            legacyID: try row["legacy_id"].decode(String?.self), newID: try row["new_id"].decode(String?.self),
            state: MigrationState(rawValue: try row["state"].decode(String.self)) ?? .legacy,
            legacyScheme: try row["legacy_scheme"].decode(String?.self),
            mfaSummary: try row["mfa_summary"].decode(String?.self),
            consentSummary: try row["consent_summary"].decode(String?.self),
            firstSeenAt: Date(timeIntervalSince1970: try row["first_seen_at"].decode(Double.self)),
            updatedAt: Date(timeIntervalSince1970: try row["updated_at"].decode(Double.self)),
            migratedAt: try row["migrated_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)),
            attempts: try row["attempts"].decode(Int.self), failures: try row["failures"].decode(Int.self),
            lastFailure: try row["last_failure"].decode(String?.self),
            wouldMigrateAt: try row["would_migrate_at"].decode(Double?.self).map(Date.init(timeIntervalSince1970:)),
            newLogin: try row["new_login"].decode(String?.self))
    }

    public func record(for identifier: String) async throws -> MigrationRecord? {
        try await rows("SELECT * FROM migration_records WHERE identifier = \(identifier)", Self.record).first
    }

    public func seen(_ identifier: String, legacyID: String?, legacyScheme: String?, at: Date) async throws
        -> MigrationRecord
    {
        let seconds = at.timeIntervalSince1970
        let rows = try await rows(
            """
            INSERT INTO migration_records (identifier, legacy_id, state, legacy_scheme, first_seen_at, updated_at)
            VALUES (\(identifier), \(legacyID), 'legacy', \(legacyScheme), \(seconds), \(seconds))
            ON CONFLICT (identifier) DO UPDATE SET
                legacy_id = COALESCE(excluded.legacy_id, migration_records.legacy_id),
                legacy_scheme = COALESCE(excluded.legacy_scheme, migration_records.legacy_scheme),
                updated_at = excluded.updated_at
            RETURNING *
            """, Self.record)
        guard let record = rows.first else { throw StateStoreError.unknownIdentifier }
        return record
    }

    public func claimProvisioning(_ identifier: String, job payload: [UInt8], at: Date, leaseUntil: Date) async throws
        -> ProvisioningClaim
    {
        let (now, lease) = (at.timeIntervalSince1970, leaseUntil.timeIntervalSince1970)
        return try await transaction { connection, logger in
            // The row lock makes the check and the transition one step for
            // every instance: a second claim waits here, then sees `provisioning`.
            let rows = try await connection.query(
                "SELECT state FROM migration_records WHERE identifier = \(identifier) FOR UPDATE", logger: logger
            ).collect()
            guard let row = rows.first else { throw StateStoreError.unknownIdentifier }
            switch MigrationState(rawValue: try row.decode(String.self)) ?? .legacy {
            case .provisioning: return .alreadyProvisioning
            case .migrated: return .alreadyMigrated
            case .failed: return .notEligible(.failed)
            case .legacy, .skipped: break
            }
            try await connection.query(
                """
                UPDATE migration_records SET state = 'provisioning', attempts = attempts + 1, updated_at = \(now)
                WHERE identifier = \(identifier)
                """, logger: logger)
            let inserted = try await connection.query(
                """
                INSERT INTO outbox (identifier, payload, next_attempt_at, created_at)
                VALUES (\(identifier), \(Data(payload)), \(lease), \(now)) RETURNING id
                """, logger: logger
            ).collect()
            guard let id = try inserted.first?.decode(Int64.self) else { throw StateStoreError.unknownIdentifier }
            return .claimed(jobID: id)
        }
    }

    public func completeMigration(_ completion: MigrationCompletion, at: Date) async throws {
        let seconds = at.timeIntervalSince1970
        try await transaction { connection, logger in
            let updated = try await connection.query(
                """
                UPDATE migration_records SET state = 'migrated', new_id = \(completion.newID),
                    mfa_summary = \(completion.mfaSummary), consent_summary = \(completion.consentSummary),
                    migrated_at = \(seconds), updated_at = \(seconds), last_failure = NULL,
                    new_login = \(completion.newLogin)
                WHERE identifier = \(completion.identifier) RETURNING identifier
                """, logger: logger
            ).collect()
            guard updated.count == 1 else { throw StateStoreError.unknownIdentifier }
            try await Self.closeJob(connection, logger, completion.jobID, at: at)
            try await Self.appendAudit(
                connection, logger, kind: "migrated", identifier: completion.identifier, details: completion.audit,
                at: at)
        }
    }

    public func markFailed(
        _ identifier: String, state: MigrationState, reason: String, closingJob jobID: Int64?,
        audit: [String: String], at: Date
    ) async throws {
        let seconds = at.timeIntervalSince1970
        try await transaction { connection, logger in
            let updated = try await connection.query(
                """
                UPDATE migration_records SET state = \(state.rawValue), last_failure = \(reason), updated_at = \(seconds)
                WHERE identifier = \(identifier) RETURNING identifier
                """, logger: logger
            ).collect()
            guard updated.count == 1 else { throw StateStoreError.unknownIdentifier }
            if let jobID { try await Self.closeJob(connection, logger, jobID, at: at) }
            let kind = state == .legacy ? "migration_released" : "migration_\(state.rawValue)"
            try await Self.appendAudit(connection, logger, kind: kind, identifier: identifier, details: audit, at: at)
        }
    }

    public func recordWouldMigrate(_ identifier: String, at: Date) async throws {
        let seconds = at.timeIntervalSince1970
        try await execute(
            """
            UPDATE migration_records SET would_migrate_at = \(seconds), updated_at = \(seconds)
            WHERE identifier = \(identifier)
            """)
    }

    public func recordFailedLogin(_ identifier: String, at: Date) async throws {
        try await execute(
            """
            UPDATE migration_records SET failures = failures + 1, updated_at = \(at.timeIntervalSince1970)
            WHERE identifier = \(identifier)
            """)
    }

    public func identifiers(in state: MigrationState, limit: Int) async throws -> [String] {
        try await rows(
            """
            SELECT identifier FROM migration_records WHERE state = \(state.rawValue) ORDER BY updated_at LIMIT \(limit)
            """
        ) { try $0["identifier"].decode(String.self) }
    }

    // MARK: Outbox

    static func job(_ row: PostgresRandomAccessRow) throws -> OutboxJob {
        OutboxJob(
            id: try row["id"].decode(Int64.self), identifier: try row["identifier"].decode(String.self),
            payload: [UInt8](try row["payload"].decode(Data.self)), attempts: try row["attempts"].decode(Int.self),
            nextAttemptAt: Date(timeIntervalSince1970: try row["next_attempt_at"].decode(Double.self)),
            lastError: try row["last_error"].decode(String?.self))
    }

    public func leaseDueJobs(at: Date, limit: Int, until: Date, owner: String) async throws -> [OutboxJob] {
        // SKIP LOCKED: a job another instance is leasing right now is simply
        // not offered here, rather than waited for.
        try await rows(
            """
            UPDATE outbox SET next_attempt_at = \(until.timeIntervalSince1970), leased_by = \(owner)
            WHERE id IN (
                SELECT id FROM outbox WHERE completed_at IS NULL AND next_attempt_at <= \(at.timeIntervalSince1970)
                ORDER BY next_attempt_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING id, identifier, payload, attempts, next_attempt_at, last_error
            """, Self.job
        ).sorted { $0.id < $1.id }
    }

    public func pendingJob(for identifier: String) async throws -> OutboxJob? {
        try await rows(
            """
            SELECT id, identifier, payload, attempts, next_attempt_at, last_error FROM outbox
            WHERE completed_at IS NULL AND identifier = \(identifier) ORDER BY id DESC LIMIT 1
            """, Self.job
        ).first
    }

    /// The sealed secrets are not needed once the job is over.
    static func closeJob(_ connection: PostgresConnection, _ logger: Logger, _ id: Int64, at: Date) async throws {
        try await connection.query(
            """
            UPDATE outbox SET completed_at = \(at.timeIntervalSince1970), payload = ''::bytea, leased_by = NULL
            WHERE id = \(id)
            """, logger: logger)
    }

    public func rescheduleJob(_ id: Int64, nextAttemptAt: Date, error: String) async throws {
        try await execute(
            """
            UPDATE outbox SET attempts = attempts + 1, next_attempt_at = \(nextAttemptAt.timeIntervalSince1970),
                last_error = \(error), leased_by = NULL
            WHERE id = \(id) AND completed_at IS NULL
            """)
    }

    public func pendingJobCount() async throws -> Int {
        try await rows("SELECT COUNT(*)::bigint AS n FROM outbox WHERE completed_at IS NULL") {
            try $0["n"].decode(Int.self)
        }.first ?? 0
    }

    @discardableResult
    public func pruneFinishedJobs(completedBefore cutoff: Date) async throws -> Int {
        try await execute(
            """
            DELETE FROM outbox WHERE completed_at IS NOT NULL AND completed_at < \(cutoff.timeIntervalSince1970)
            RETURNING id
            """)
    }
}

/// The SQLSTATE of a server's error (`23505`: a unique violation), nil for
/// anything else (a connection that failed, a timeout).
public func postgresSQLState(_ error: any Error) -> String? {
    if case .server(let message) = error as? PostgresError { return message.fields[.sqlState] }
    return (error as? PSQLError)?.serverInfo?[.sqlState]
}

/// A PostgreSQL error in words fit for a log line: the SQLSTATE and the
/// server's message, never the query or its values (PostgresNIO's own
/// description is deliberately empty of both, and of the reason). Nil for
/// errors that are not the database's.
public func postgresErrorSummary(_ error: any Error) -> String? {
    if error is StoreTimeout || error is UnknownParameter || error is UnreadableColumn { return "\(error)" }
    // The older API (statements prepared without running) reports the server this way.
    if case .server(let message) = error as? PostgresError {
        return serverErrorSummary(sqlState: message.fields[.sqlState], message: message.fields[.message])
    }
    if let error = error as? PostgresDecodingError {
        return "column `\(error.columnName)` holds a value its PostgreSQL type should not have"
    }
    guard let error = error as? PSQLError else { return nil }
    if let info = error.serverInfo {
        return serverErrorSummary(sqlState: info[.sqlState], message: info[.message])
    }
    return "PostgreSQL connection: \(error.code)"
}

/// The server's message, except for data exceptions (SQLSTATE class 22):
/// those quote the value that did not fit (`invalid input syntax for type
/// integer: "…"`), and a statement that binds `:password_hash` or a TOTP
/// secret to the wrong column would put it in the log.
func serverErrorSummary(sqlState: String?, message: String?) -> String {
    let state = sqlState ?? "?"
    if state.hasPrefix("22") {
        return "PostgreSQL \(state): a value does not fit its column's type or range (the value is not shown)"
    }
    return "PostgreSQL \(state): \(message ?? "error")"
}
