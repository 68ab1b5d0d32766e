import Foundation
import GRDB

/// One value of a query's result, whichever engine answered. SQLite stores
/// numbers, text and bytes; PostgreSQL also says when a value is a boolean
/// or a point in time, and those are kept as such.
public enum QueryValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
    case boolean(Bool)
    case date(Date)

    /// The value as text: legacy schemas keep ids and flags in every type.
    public var textValue: String? {
        switch self {
        case .null: return nil
        case .text(let text): return text
        case .integer(let number): return String(number)
        case .real(let number): return String(number)
        case .blob(let data): return String(data: data, encoding: .utf8)
        case .boolean(let flag): return flag ? "true" : "false"
        case .date(let date):
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return formatter.string(from: date)
        }
    }

    public var isNull: Bool { self == .null }
}

/// One result row: its columns in order, each with its value and, where the
/// engine knows it, the type the column was declared with.
public struct QueryRow: Sendable {
    public struct Column: Sendable {
        public var name: String
        public var value: QueryValue
        /// SQLite's declared type (`BOOL`, `DATETIME`): only the declaration
        /// says that a stored 1 is a flag or a stored text is a date.
        public var declaredType: String?

        public init(name: String, value: QueryValue, declaredType: String? = nil) {
            self.name = name
            self.value = value
            self.declaredType = declaredType
        }
    }

    public var columns: [Column]

    public init(_ columns: [Column]) { self.columns = columns }

    public var columnNames: [String] { columns.map(\.name) }

    public func hasColumn(_ name: String) -> Bool { columns.contains { $0.name == name } }

    /// The first column of that name (SQL allows repeats); NULL when absent.
    public subscript(_ name: String) -> QueryValue { columns.first { $0.name == name }?.value ?? .null }

    public func declaredType(_ name: String) -> String? { columns.first { $0.name == name }?.declaredType }
}

extension QueryRow {
    /// A SQLite row, with the declared types of its statement's columns.
    public init(_ row: Row, declaredTypes: [String: String] = [:]) {
        var columns: [Column] = []
        for (name, value) in row {
            let converted: QueryValue
            switch value.storage {
            case .null: converted = .null
            case .int64(let number): converted = .integer(number)
            case .double(let number): converted = .real(number)
            case .string(let text): converted = .text(text)
            case .blob(let data): converted = .blob(data)
            }
            columns.append(Column(name: name, value: converted, declaredType: declaredTypes[name]))
        }
        self.init(columns)
    }
}
