import Foundation
import Logging
import PostgresNIO

/// The audit chain on PostgreSQL: one advisory lock serializes appends from
/// every instance, so sequence numbers and hashes form one total order; the
/// events and their hashes are computed as on SQLite, so `ferry audit verify`
/// checks either engine's chain the same way.
extension PostgresStateStore {
    @discardableResult
    public func appendAudit(kind: String, identifier: String?, details: [String: String], at: Date) async throws
        -> AuditEvent
    {
        try await transaction { connection, logger in
            try await Self.appendAudit(connection, logger, kind: kind, identifier: identifier, details: details, at: at)
        }
    }

    /// Appends inside the caller's transaction, so an event is written exactly
    /// when the change it records is. The lock is held until that transaction
    /// ends: the next append reads this event as its predecessor.
    @discardableResult
    static func appendAudit(
        _ connection: PostgresConnection, _ logger: Logger, kind: String, identifier: String?,
        details: [String: String], at: Date
    ) async throws -> AuditEvent {
        try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.auditLock))", logger: logger)
        let last = try await connection.query(
            "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1", logger: logger
        ).collect().first.map { try $0.decode((Int64, String).self) }
        let detailText = SQLiteStateStore.canonicalJSON(details)
        let previous = last?.1 ?? SQLiteStateStore.genesisHash
        let sequence = (last?.0 ?? 0) + 1
        let timestamp = at.timeIntervalSince1970
        let hash = AuditDigest.hex(
            SQLiteStateStore.chainInput(
                previous: previous, sequence: sequence, at: timestamp, kind: kind, identifier: identifier,
                details: detailText))
        try await connection.query(
            """
            INSERT INTO audit_log (sequence, at, kind, identifier, details, previous_hash, hash)
            VALUES (\(sequence), \(timestamp), \(kind), \(identifier), \(detailText), \(previous), \(hash))
            """, logger: logger)
        return AuditEvent(
            sequence: sequence, at: at, kind: kind, identifier: identifier, details: detailText,
            previousHash: previous, hash: hash)
    }

    static func event(_ row: PostgresRandomAccessRow) throws -> AuditEvent {
        AuditEvent(
            sequence: try row["sequence"].decode(Int64.self),
            at: Date(timeIntervalSince1970: try row["at"].decode(Double.self)),
            kind: try row["kind"].decode(String.self),
            identifier: try row["identifier"].decode(String?.self), details: try row["details"].decode(String.self),
            previousHash: try row["previous_hash"].decode(String.self), hash: try row["hash"].decode(String.self))
    }

    public func auditHead() async throws -> (sequence: Int64, hash: String)? {
        try await rows("SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1") {
            (try $0["sequence"].decode(Int64.self), try $0["hash"].decode(String.self))
        }.first
    }

    public func auditEvents(after sequence: Int64, limit: Int) async throws -> [AuditEvent] {
        try await rows(
            "SELECT * FROM audit_log WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(limit)", Self.event)
    }

    /// Walks the chain in pages, so a long log is never held in memory whole
    /// (nor in one query that outlives the store's deadline).
    public func verifyAuditChain() async throws -> AuditVerification {
        var previous = SQLiteStateStore.genesisHash
        var expected: Int64 = 1
        while true {
            let page = try await auditEvents(after: expected - 1, limit: 5_000)
            for event in page {
                guard event.sequence == expected else {
                    return .broken(atSequence: expected, reason: "event \(expected) is missing")
                }
                guard event.previousHash == previous else {
                    return .broken(atSequence: event.sequence, reason: "does not point at the previous event's hash")
                }
                let hash = AuditDigest.hex(
                    SQLiteStateStore.chainInput(
                        previous: previous, sequence: event.sequence, at: event.at.timeIntervalSince1970,
                        kind: event.kind, identifier: event.identifier, details: event.details))
                guard hash == event.hash else {
                    return .broken(atSequence: event.sequence, reason: "its content does not match its hash")
                }
                previous = hash
                expected += 1
            }
            if page.count < 5_000 { return .intact(events: Int(expected - 1)) }
        }
    }
}
