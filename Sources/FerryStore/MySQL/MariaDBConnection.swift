import CMariaDB
import FerryConfig
import Foundation
import PasswordHashes

/// One connection through MariaDB Connector/C, the only file that calls it.
/// Every call blocks: `ExternalMySQL` runs them on NIO's thread pool, one
/// thread at a time per connection.
final class MariaDBConnection: @unchecked Sendable {
    private let handle: UnsafeMutablePointer<MYSQL>

    /// The library's global set-up is not thread-safe; it runs once, first.
    /// It sets up OpenSSL too, so Ferry's choice about OpenSSL goes before it.
    private static let library: Void = {
        OpenSSLLifetime.keepUntilExit()
        _ = mysql_server_init(0, nil, nil)
    }()

    /// Connects, with `timeout` for the connection and for each read and
    /// write, in utf8mb4 and with the session's time zone at UTC (so that
    /// `TIMESTAMP` columns come back in UTC, as `DATETIME` is read).
    init(_ location: MySQLLocation, timeout: Duration) throws(MySQLError) {
        _ = Self.library
        guard let handle = mysql_init(nil) else {
            throw MySQLError(code: 2008, sqlState: "HY000", message: "out of memory")
        }
        self.handle = handle
        let seconds = UInt32(max(1, timeout.components.seconds + (timeout.components.attoseconds > 0 ? 1 : 0)))
        for option in [MYSQL_OPT_CONNECT_TIMEOUT, MYSQL_OPT_READ_TIMEOUT, MYSQL_OPT_WRITE_TIMEOUT] {
            _ = ferry_mysql_set_uint(handle, option, seconds)
        }
        _ = ferry_mysql_set_text(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        switch location.tls {
        case .disabled: break
        case .required:
            _ = ferry_mysql_set_bool(handle, MYSQL_OPT_SSL_ENFORCE, 1)
        case .verifyIdentity:
            _ = ferry_mysql_set_bool(handle, MYSQL_OPT_SSL_ENFORCE, 1)
            _ = ferry_mysql_set_bool(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, 1)
            if let ca = location.caFile { _ = ferry_mysql_set_text(handle, MYSQL_OPT_SSL_CA, ca) }
        }
        let password = location.password?.value
        guard
            mysql_real_connect(
                handle, location.host, location.user, password, location.database, UInt32(location.port), nil, 0)
                != nil
        else { throw lastError }
        try execute("SET time_zone = '+00:00'")
    }

    /// Also when `init` throws: every stored property is set by then.
    deinit { mysql_close(handle) }

    private var lastError: MySQLError {
        MySQLError(
            code: mysql_errno(handle), sqlState: String(cString: mysql_sqlstate(handle)),
            message: String(cString: mysql_error(handle)))
    }

    /// A string literal for `value`, escaped for this connection's character
    /// set and SQL mode (`NO_BACKSLASH_ESCAPES` included); `NULL` for nil.
    func literal(_ value: String?) -> String {
        guard let value else { return "NULL" }
        let bytes = Array(value.utf8)
        var escaped = [CChar](repeating: 0, count: bytes.count * 2 + 1)
        let length = bytes.withUnsafeBufferPointer { from in
            from.withMemoryRebound(to: CChar.self) { from in
                mysql_real_escape_string(handle, &escaped, from.baseAddress, UInt(bytes.count))
            }
        }
        let text = escaped.prefix(Int(length)).withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeRawBufferPointer(buffer), as: UTF8.self)
        }
        return "'" + text + "'"
    }

    /// Runs a statement whose result, if any, is not wanted.
    func execute(_ sql: String) throws(MySQLError) {
        try send(sql)
        if let result = mysql_store_result(handle) { mysql_free_result(result) }
    }

    /// Runs `sql` and returns its rows, each value in the kind its column
    /// declares.
    func rows(_ sql: String) throws(MySQLError) -> [QueryRow] {
        try send(sql)
        guard let result = mysql_store_result(handle) else {
            if mysql_field_count(handle) == 0 { return [] }
            throw lastError
        }
        defer { mysql_free_result(result) }
        return try Self.read(result, handle: handle)
    }

    /// A result being read a batch at a time (`startStreaming`).
    private var streaming: (result: UnsafeMutablePointer<MYSQL_RES>, columns: [ColumnType])?

    /// Runs `sql` and leaves its rows on the server, to be read by `nextRows`.
    func startStreaming(_ sql: String) throws(MySQLError) {
        try send(sql)
        guard let result = mysql_use_result(handle) else {
            if mysql_field_count(handle) == 0 { return }
            throw lastError
        }
        streaming = (result, Self.columns(result))
    }

    /// Up to `limit` more rows of the streamed result; none once it is done.
    func nextRows(_ limit: Int) throws(MySQLError) -> [QueryRow] {
        guard let (result, columns) = streaming else { return [] }
        var rows: [QueryRow] = []
        while rows.count < limit, let row = mysql_fetch_row(result) {
            rows.append(try Self.decode(row, lengths: mysql_fetch_lengths(result), columns: columns))
        }
        if rows.count < limit {
            let failed = mysql_errno(handle) != 0 ? lastError : nil
            stopStreaming()
            if let failed { throw failed }
        }
        return rows
    }

    /// Drops what is left of a streamed result.
    func stopStreaming() {
        if let (result, _) = streaming { mysql_free_result(result) }
        streaming = nil
    }

    private func send(_ sql: String) throws(MySQLError) {
        let bytes = Array(sql.utf8)
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { mysql_real_query(handle, $0.baseAddress, UInt(bytes.count)) }
        }
        if status != 0 { throw lastError }
    }

    private struct ColumnType {
        var name: String
        var type: enum_field_types
        /// The binary character set (63): bytes, not text.
        var binary: Bool
        var length: UInt
    }

    private static func columns(_ result: UnsafeMutablePointer<MYSQL_RES>) -> [ColumnType] {
        let count = Int(mysql_num_fields(result))
        guard let fields = mysql_fetch_fields(result) else { return [] }
        return (0..<count).map { index in
            let field = fields[index]
            return ColumnType(
                name: String(cString: field.name), type: field.type, binary: field.charsetnr == 63,
                length: field.length)
        }
    }

    private static func read(_ result: UnsafeMutablePointer<MYSQL_RES>, handle: UnsafeMutablePointer<MYSQL>)
        throws(MySQLError) -> [QueryRow]
    {
        let columns = columns(result)
        var rows: [QueryRow] = []
        while let row = mysql_fetch_row(result) {
            rows.append(try decode(row, lengths: mysql_fetch_lengths(result), columns: columns))
        }
        return rows
    }

    private static func decode(_ row: MYSQL_ROW, lengths: UnsafeMutablePointer<UInt>?, columns: [ColumnType])
        throws(MySQLError) -> QueryRow
    {
        var values: [QueryRow.Column] = []
        for (index, column) in columns.enumerated() {
            guard let cell = row[index], let lengths else {
                values.append(QueryRow.Column(name: column.name, value: .null))
                continue
            }
            let bytes = UnsafeRawBufferPointer(start: cell, count: Int(lengths[index]))
            let (value, declared) = try MySQLValues.value(
                Data(bytes), type: MySQLValues.Kind(column.type, binary: column.binary, length: column.length),
                column: column.name)
            values.append(QueryRow.Column(name: column.name, value: value, declaredType: declared))
        }
        return QueryRow(values)
    }
}

extension MySQLValues.Kind {
    /// The kind of a column, from the protocol's field type.
    fileprivate init(_ type: enum_field_types, binary: Bool, length: UInt) {
        switch type {
        case MYSQL_TYPE_TINY where length == 1: self = .boolean
        case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_LONG, MYSQL_TYPE_INT24, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
            self = .integer
        case MYSQL_TYPE_DECIMAL, MYSQL_TYPE_NEWDECIMAL: self = .decimal
        case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE: self = .real
        case MYSQL_TYPE_DATETIME, MYSQL_TYPE_TIMESTAMP, MYSQL_TYPE_DATE, MYSQL_TYPE_DATETIME2, MYSQL_TYPE_TIMESTAMP2,
            MYSQL_TYPE_NEWDATE:
            self = .date
        case MYSQL_TYPE_BIT: self = .bits
        case MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB, MYSQL_TYPE_LONG_BLOB, MYSQL_TYPE_BLOB, MYSQL_TYPE_VAR_STRING,
            MYSQL_TYPE_STRING, MYSQL_TYPE_VARCHAR, MYSQL_TYPE_GEOMETRY:
            self = binary ? .bytes : .text
        default:
            // JSON, ENUM, SET, TIME: their text.
            self = .text
        }
    }
}
