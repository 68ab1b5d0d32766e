/// A value of a TOML document, as the config reader sees it.
///
/// Dates and times are kept as written: no key of `proxy.conf` takes one, so
/// they only need to be recognised (and named in an error), not computed with.
enum TOMLValue {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    case dateTime(String)
    case array([TOMLValue])
    case table(TOMLTable)

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var int: Int? { if case .integer(let value) = self { value } else { nil } }
    var double: Double? { if case .float(let value) = self { value } else { nil } }
    var bool: Bool? { if case .boolean(let value) = self { value } else { nil } }
    var array: [TOMLValue]? { if case .array(let value) = self { value } else { nil } }
    var table: TOMLTable? { if case .table(let value) = self { value } else { nil } }
}

/// A TOML table: keys in the order they were written.
///
/// A reference type because the parser keeps adding to a table after it has
/// been placed inside another (`[a]` then `[a.b]`, `[[route]]` entries).
final class TOMLTable {
    /// How the table came to exist, which decides what may still add to it.
    enum Origin {
        /// Created on the way to a deeper header (`a` for `[a.b]`): may still get its own `[a]`.
        case implicit
        /// Written as `[a]` or `[[a]]`.
        case header
        /// Created by a dotted key (`a.b = 1`): closed to headers.
        case dottedKey
        /// Written inline (`a = { … }`): closed to everything.
        case inline
    }

    var origin: Origin
    private(set) var keys: [String] = []
    private var values: [String: TOMLValue] = [:]
    /// Keys whose array was built by `[[key]]` headers (a static array cannot be appended to).
    var arraysOfTables: Set<String> = []

    init(origin: Origin) { self.origin = origin }

    subscript(key: String) -> TOMLValue? {
        get { values[key] }
        set {
            if values[key] == nil, newValue != nil { keys.append(key) }
            values[key] = newValue
        }
    }

    func contains(key: String) -> Bool { values[key] != nil }
}
