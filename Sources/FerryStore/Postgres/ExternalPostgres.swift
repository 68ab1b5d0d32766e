import FerryConfig
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Another system's PostgreSQL database, used through the operator's own
/// statements: the legacy user store (read) and the new platform's (written
/// by the sql target). A read is one `READ ONLY` transaction at `REPEATABLE
/// READ`, so a user's row, factors and consents come from one snapshot and
/// Ferry can never write there, whatever the statements say; a write is one
/// transaction, committed whole or not at all.
public final class ExternalPostgres: Sendable {
    let client: PostgresClient
    let logger: Logger
    let timeout: Duration
    /// Until one call has succeeded, calls may take `coldTimeout`: the first
    /// also opens the connection (TCP, TLS, SCRAM), which on a busy machine
    /// outlasts a deadline meant for a query on an open connection.
    private let warm = Atomic<Bool>(false)
    static let coldTimeout: Duration = .seconds(10)
    private let runner: Task<Void, Never>

    public init(location: PostgresLocation, timeout: Duration, logger: Logger = Logger(label: "ferry")) throws {
        (client, self.logger) = try PostgresStateStore.client(location, logger: logger)
        self.timeout = timeout
        runner = Task { [client] in await client.run() }
    }

    deinit { runner.cancel() }

    /// One snapshot: `body` runs its queries through `session`, within the deadline.
    public func read<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) async throws -> T) async throws -> T {
        try await transaction("START TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    /// One transaction that may write: committed when `body` returns, rolled
    /// back when it throws. When the deadline passes first the caller stops
    /// waiting, but the transaction still ends whole on the server; a retry
    /// then meets its rows (the sql target's `existing_query`).
    public func write<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) async throws -> T) async throws -> T {
        try await transaction("START TRANSACTION", body)
    }

    private func transaction<T: Sendable>(
        _ start: String, _ body: @escaping @Sendable (PostgresSession) async throws -> T
    ) async throws -> T {
        let deadline = warm.load(ordering: .relaxed) ? timeout : max(timeout, Self.coldTimeout)
        let result = try await withDeadline(deadline) { [client, logger] in
            try await client.withConnection { connection in
                let session = PostgresSession(connection: connection, logger: logger)
                _ = try await connection.query(PostgresQuery(unsafeSQL: start), logger: logger)
                do {
                    let result = try await body(session)
                    _ = try await connection.query("COMMIT", logger: logger)
                    return result
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
        warm.store(true, ordering: .relaxed)
        return result
    }

    /// Has the server parse and plan `sql` without running it: names of
    /// tables, columns and functions and the parameters' types are checked.
    public func check(_ sql: String) async throws {
        let positional = NamedParameters.positional(sql).sql
        try await withDeadline(timeout) { [client] in
            try await client.withConnection { connection in
                let prepared = try await connection.prepare(query: positional).get()
                try await prepared.deallocate().get()
            }
        }
    }

    /// Streams every row of `sql` to `body` without holding them all: for
    /// reports over millions of users. No deadline: it takes as long as the
    /// table is long.
    public func forEachRow(_ sql: String, _ body: (QueryRow) throws -> Void) async throws {
        try await client.withConnection { connection in
            _ = try await connection.query(
                "START TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let rows = try await connection.query(try PostgresSession.query(sql, [:]), logger: logger)
                for try await row in rows { try body(try QueryRow(row)) }
                _ = try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}

/// The queries of one transaction.
public struct PostgresSession: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs `sql` with its `:name` parameters bound from `parameters`.
    public func rows(_ sql: String, _ parameters: [String: String?]) async throws -> [QueryRow] {
        var rows: [QueryRow] = []
        for try await row in try await connection.query(try Self.query(sql, parameters), logger: logger) {
            rows.append(try QueryRow(row))
        }
        return rows
    }

    /// A statement naming a parameter Ferry does not supply is an error, as
    /// on SQLite: a mistyped `:legacyid` must not quietly match nothing.
    static func query(_ sql: String, _ parameters: [String: String?]) throws -> PostgresQuery {
        let (positional, names) = NamedParameters.positional(sql)
        var binds = PostgresBindings(capacity: names.count)
        for name in names {
            guard let value = parameters[name] else {
                throw UnknownParameter(name: name, supplied: parameters.keys.sorted())
            }
            if let value { binds.append(UntypedText(value), context: .default) } else { binds.appendNull() }
        }
        return PostgresQuery(unsafeSQL: positional, binds: binds)
    }
}

/// A parameter sent as text of no stated type, as psql and libpq send them:
/// the server gives it the type its place in the statement needs, so
/// `WHERE id = :legacy_id` works whether `id` is an integer, a uuid or text.
struct UntypedText: PostgresDynamicTypeEncodable {
    let text: String
    init(_ text: String) { self.text = text }
    var psqlType: PostgresDataType { PostgresDataType(0) }
    var psqlFormat: PostgresFormat { .text }
    func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeString(text)
    }
}

/// A statement names a parameter the caller does not supply.
public struct UnknownParameter: Error, CustomStringConvertible, Sendable {
    public var name: String
    public var supplied: [String]
    public var description: String {
        let offered = supplied.isEmpty ? "none" : supplied.map { ":" + $0 }.joined(separator: ", ")
        return "the statement uses :\(name), which Ferry does not supply here (it supplies \(offered))"
    }
}

/// A column whose PostgreSQL type Ferry does not read.
public struct UnreadableColumn: Error, CustomStringConvertible, Sendable {
    public var column: String
    public var typeOID: UInt32
    public var description: String {
        "column `\(column)` has a PostgreSQL type (oid \(typeOID)) Ferry does not read; cast it in the query (\(column)::text)"
    }
}

extension QueryRow {
    /// A PostgreSQL row, each value kept in its own kind: booleans as
    /// booleans, timestamps (with or without zone: without is UTC) and dates
    /// as points in time, uuids in their lowercase text form.
    init(_ row: PostgresRow) throws {
        var columns: [Column] = []
        for cell in row {
            columns.append(Column(name: cell.columnName, value: try Self.value(cell)))
        }
        self.init(columns)
    }

    static func value(_ cell: PostgresCell) throws -> QueryValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .bool: return .boolean(try cell.decode(Bool.self))
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .numeric:
            let decimal = try cell.decode(Decimal.self)
            let text = "\(decimal)"
            if let whole = Int64(text) { return .integer(whole) }
            return .real(NSDecimalNumber(decimal: decimal).doubleValue)
        case .text, .varchar, .bpchar, .name, .jsonb: return .text(try cell.decode(String.self))
        case .json: return .text(String(buffer: cell.bytes!))
        case .uuid: return .text(try cell.decode(UUID.self).uuidString.lowercased())
        case .timestamp, .timestamptz, .date: return .date(try cell.decode(Date.self))
        case .bytea: return .blob(try cell.decode(Data.self))
        default:
            // Types the server sends as their text in binary too (enums, citext).
            let bytes = cell.bytes!
            if let text = bytes.getString(at: bytes.readerIndex, length: bytes.readableBytes),
                !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" && $0 != "\n" })
            {
                return .text(text)
            }
            throw UnreadableColumn(column: cell.columnName, typeOID: cell.dataType.rawValue)
        }
    }
}
