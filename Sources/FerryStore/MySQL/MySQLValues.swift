import Foundation

/// MySQL's text protocol sends every value as text; the column's type says
/// what the text is. Pure, so a table test covers every kind.
enum MySQLValues {
    enum Kind: Equatable, Sendable {
        case integer
        /// `TINYINT(1)`, MySQL's `BOOLEAN`: a number, declared a flag.
        case boolean
        case decimal
        case real
        /// `DATETIME`, `TIMESTAMP` (sent in UTC: the session's zone is UTC) and `DATE`.
        case date
        /// `BIT(n)`: the bits, big-endian.
        case bits
        case text
        /// Columns in the binary character set (`BINARY`, `VARBINARY`, `BLOB`).
        case bytes
    }

    /// The value and, for a flag, the declared type that makes it one.
    static func value(_ bytes: Data, type: Kind, column: String) throws(MySQLError) -> (QueryValue, String?) {
        func unreadable() -> MySQLError {
            MySQLError(
                code: 0, sqlState: "HY000",
                message: "column `\(column)` holds a value its type does not read; cast it in the query")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        switch type {
        case .integer:
            guard let number = Int64(text) else { throw unreadable() }
            return (.integer(number), nil)
        case .boolean:
            guard let number = Int64(text) else { throw unreadable() }
            return (.integer(number), "BOOLEAN")
        case .decimal:
            if let whole = Int64(text) { return (.integer(whole), nil) }
            guard let number = Double(text) else { throw unreadable() }
            return (.real(number), nil)
        case .real:
            guard let number = Double(text) else { throw unreadable() }
            return (.real(number), nil)
        case .date:
            // A zero date ('0000-00-00', allowed by old SQL modes) is no date.
            if text.hasPrefix("0000-00-00") { return (.null, nil) }
            guard let date = date(text) else { throw unreadable() }
            return (.date(date), nil)
        case .bits:
            return (.integer(bytes.reduce(Int64(0)) { $0 << 8 | Int64($1) }), nil)
        case .text:
            return (.text(text), nil)
        case .bytes:
            return (.blob(bytes), nil)
        }
    }

    /// `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` and up to six fractional digits, UTC.
    static func date(_ text: String) -> Date? {
        let parts = text.split(separator: " ", maxSplits: 1)
        let day = parts[0].split(separator: "-")
        guard day.count == 3, let year = Int(day[0]), let month = Int(day[1]), let date = Int(day[2]) else {
            return nil
        }
        var components = DateComponents(
            calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "UTC"), year: year,
            month: month, day: date)
        var fraction = 0.0
        if parts.count == 2 {
            let time = parts[1].split(separator: ".", maxSplits: 1)
            let clock = time[0].split(separator: ":")
            guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2])
            else { return nil }
            (components.hour, components.minute, components.second) = (hour, minute, second)
            if time.count == 2 {
                guard time[1].count <= 6, time[1].allSatisfy(\.isASCII), let digits = Int(time[1]) else { return nil }
                fraction = Double(digits) / pow(10, Double(time[1].count))
            }
        }
        guard components.isValidDate, let base = components.date else { return nil }
        return base.addingTimeInterval(fraction)
    }
}
