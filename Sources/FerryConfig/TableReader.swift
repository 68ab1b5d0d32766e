/// Collects the issues found while reading one file, with their lines.
final class IssueLog {
    let file: String
    let document: TOMLDocument
    private(set) var issues: [ConfigIssue] = []

    init(file: String, document: TOMLDocument) {
        self.file = file
        self.document = document
    }

    func report(_ keyPath: String, _ message: String) {
        issues.append(
            ConfigIssue(file: file, line: document.line(of: keyPath), keyPath: keyPath, message: message))
    }
}

/// Reads one TOML table, remembering which keys were read so that any key left
/// over is reported as unknown: a typo must not silently disable a control.
final class TableReader {
    let path: String
    private let table: TOMLTable
    private let log: IssueLog
    private var known: [String] = []

    init(_ table: TOMLTable, path: String, log: IssueLog) {
        self.table = table
        self.path = path
        self.log = log
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func report(_ key: String, _ message: String) {
        log.report(keyPath(key), "key `\(keyPath(key))` \(message)")
    }

    func has(_ key: String) -> Bool {
        known.append(key)
        return table.contains(key: key)
    }

    private func value(_ key: String) -> TOMLValue? {
        known.append(key)
        return table[key]
    }

    private func mismatch(_ key: String, expected: String, _ value: TOMLValue) {
        report(key, "must be \(expected), found \(describe(value))")
    }

    func string(_ key: String) -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.string else {
            mismatch(key, expected: "a string", value)
            return nil
        }
        return string
    }

    func requiredString(_ key: String) -> String? {
        guard has(key) else {
            missing(key)
            return nil
        }
        return string(key)
    }

    /// Keys reported missing from a table no header of its own made: one
    /// error for the table, not one per key (a renamed `[legacy]` leaves
    /// `[legacy.limits]` implying an empty `legacy`).
    private var impliedOnlyReported = false

    /// Whether the table holds a key that looks like a misspelling of `key`;
    /// its "unknown key … did you mean" error then covers `key` being missing.
    func hasMisspelling(of key: String) -> Bool {
        table.keys.contains { $0 != key && closest(to: $0, in: [key]) == key }
    }

    func missing(_ key: String) {
        if hasMisspelling(of: key) { return }
        if table.origin == .implicit {
            guard !impliedOnlyReported else { return }
            impliedOnlyReported = true
            log.report(
                path,
                "table `[\(path)]` has no header of its own, only sub-tables such as `[\(path).…]`, so its required keys are missing (was `[\(path)]` renamed or removed?)"
            )
            return
        }
        log.report(path, "missing required key `\(keyPath(key))`")
    }

    func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let value = value(key) else { return fallback }
        guard let bool = value.bool else {
            mismatch(key, expected: "true or false", value)
            return fallback
        }
        return bool
    }

    func integer(_ key: String, in range: ClosedRange<Int>, default fallback: Int) -> Int {
        guard let value = value(key) else { return fallback }
        guard let number = value.int else {
            mismatch(key, expected: "an integer", value)
            return fallback
        }
        guard range.contains(number) else {
            report(key, "must be between \(range.lowerBound) and \(range.upperBound), found \(number)")
            return fallback
        }
        return number
    }

    /// Accepts integers and floats, rounded to `decimals` places where given.
    func number(_ key: String, in range: ClosedRange<Double>, decimals: Int? = nil, default fallback: Double)
        -> Double
    {
        guard let value = value(key) else { return fallback }
        let number: Double
        switch value {
        case .integer(let integer): number = Double(integer)
        case .float(let float): number = float
        default:
            mismatch(key, expected: "a number", value)
            return fallback
        }
        guard number.isFinite, range.contains(number) else {
            report(
                key,
                "must be between \(format(range.lowerBound)) and \(format(range.upperBound)), found \(format(number))")
            return fallback
        }
        if let decimals {
            var scale = 1.0
            for _ in 0..<decimals { scale *= 10 }
            let scaled = number * scale
            guard abs(scaled - scaled.rounded()) < 1e-6 else {
                report(key, "must have at most \(decimals) decimal places, found \(format(number))")
                return fallback
            }
        }
        return number
    }

    func stringArray(_ key: String) -> [String]? {
        guard let value = value(key) else { return nil }
        guard let array = value.array else {
            mismatch(key, expected: "an array of strings", value)
            return nil
        }
        var strings: [String] = []
        for (index, element) in array.enumerated() {
            guard let string = element.string else {
                log.report(
                    keyPath(key),
                    "key `\(keyPath(key))[\(index)]` must be a string, found \(describe(element))")
                return nil
            }
            strings.append(string)
        }
        return strings
    }

    func integerArray(_ key: String, in range: ClosedRange<Int>) -> [Int]? {
        guard let value = value(key) else { return nil }
        guard let array = value.array else {
            mismatch(key, expected: "an array of integers", value)
            return nil
        }
        var numbers: [Int] = []
        for (index, element) in array.enumerated() {
            guard let number = element.int, range.contains(number) else {
                log.report(
                    keyPath(key),
                    "key `\(keyPath(key))[\(index)]` must be an integer between \(range.lowerBound) and \(range.upperBound), found \(describe(element))"
                )
                return nil
            }
            numbers.append(number)
        }
        return numbers
    }

    func duration(_ key: String, default fallback: Duration, max: Duration = .seconds(86_400 * 365)) -> Duration {
        guard let value = value(key) else { return fallback }
        guard let text = value.string else {
            mismatch(key, expected: #"a duration string like "30s""#, value)
            return fallback
        }
        guard let duration = parseDuration(text) else {
            report(key, #"must be a duration like "250ms", "30s", "5m", "1h" or "1m30s", found "\#(text)""#)
            return fallback
        }
        guard duration <= max else {
            report(key, "must be at most \(max), found \"\(text)\"")
            return fallback
        }
        return duration
    }

    func byteSize(_ key: String, in range: ClosedRange<Int>, default fallback: Int) -> Int {
        guard let value = value(key) else { return fallback }
        let bytes: Int?
        switch value {
        case .integer(let integer): bytes = integer
        case .string(let text): bytes = parseByteSize(text)
        default:
            mismatch(key, expected: #"a size like "16KiB""#, value)
            return fallback
        }
        guard let bytes else {
            report(key, #"must be a size like "512", "16KiB", "10MiB" or "1GiB", found \#(describe(value))"#)
            return fallback
        }
        guard range.contains(bytes) else {
            report(key, "must be between \(range.lowerBound) and \(range.upperBound) bytes, found \(bytes)")
            return fallback
        }
        return bytes
    }

    /// One of a fixed set of words, such as `mode = "migrate"`.
    func choice<T: RawRepresentable & CaseIterable>(_ key: String, default fallback: T) -> T
    where T.RawValue == String {
        guard let text = string(key) else { return fallback }
        guard let choice = T(rawValue: text) else {
            let allowed = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            report(key, "must be one of \(allowed), found \"\(text)\"")
            return fallback
        }
        return choice
    }

    /// A key that decides which other keys the table may hold (a route's
    /// `action`, a target's `kind`). When it is missing or not one of its
    /// words, the other keys cannot be judged: `finish()` then reports only
    /// unknown keys that look like a misspelling, not every key of the kind
    /// the operator meant.
    func deciding<T: RawRepresentable & CaseIterable>(_ key: String, as type: T.Type) -> T?
    where T.RawValue == String {
        guard has(key) else {
            missing(key)
            undecided = true
            return nil
        }
        let text = string(key)
        guard let text, let choice = T(rawValue: text) else {
            if let text {
                let allowed = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                report(key, "must be one of \(allowed), found \"\(text)\"")
            }
            undecided = true
            return nil
        }
        return choice
    }

    private var undecided = false

    func table(_ key: String) -> TableReader? {
        guard let value = value(key) else { return nil }
        guard let table = value.table else {
            mismatch(key, expected: "a table", value)
            return nil
        }
        return TableReader(table, path: keyPath(key), log: log)
    }

    /// Entries of an array of tables (`[[route]]`), each with its own reader.
    func tableArray(_ key: String) -> [TableReader] {
        guard let value = value(key) else { return [] }
        guard let array = value.array else {
            mismatch(key, expected: "an array of tables ([[\(key)]])", value)
            return []
        }
        var readers: [TableReader] = []
        for (index, element) in array.enumerated() {
            let elementPath = "\(keyPath(key))[\(index)]"
            guard let table = element.table else {
                log.report(elementPath, "key `\(elementPath)` must be a table, found \(describe(element))")
                continue
            }
            readers.append(TableReader(table, path: elementPath, log: log))
        }
        return readers
    }

    /// The keys of a table whose keys are names chosen by the operator
    /// (`[upstreams.<name>]`), each with its own reader.
    func namedTables(_ key: String) -> [(name: String, reader: TableReader)] {
        guard let reader = table(key) else { return [] }
        reader.known.append(contentsOf: reader.table.keys)
        return reader.table.keys.sorted().compactMap { name in
            guard let table = reader.table[name]?.table else {
                reader.mismatch(name, expected: "a table", reader.table[name]!)
                return nil
            }
            return (name, TableReader(table, path: reader.keyPath(name), log: log))
        }
    }

    /// A table of operator-chosen keys with string values (`[route.new_static_fields]`).
    func stringTable(_ key: String) -> [String: String]? {
        guard let reader = table(key) else { return nil }
        reader.known.append(contentsOf: reader.table.keys)
        var values: [String: String] = [:]
        for name in reader.table.keys {
            guard let text = reader.table[name]?.string else {
                reader.mismatch(name, expected: "a string", reader.table[name]!)
                continue
            }
            values[name] = text
        }
        return values
    }

    /// Reports every key of this table that nobody read.
    func finish() {
        let knownKeys = Set(known)
        for key in table.keys.sorted() where !knownKeys.contains(key) {
            var message = "unknown key `\(shownName(keyPath(key)))`"
            if let suggestion = closest(to: key, in: Set(known).sorted()) {
                message += " (did you mean `\(suggestion)`?)"
            } else if undecided {
                continue
            } else if !knownKeys.isEmpty {
                message += " (expected one of: \(Set(known).sorted().joined(separator: ", ")))"
            }
            log.report(keyPath(key), message)
        }
    }
}

func describe(_ value: TOMLValue) -> String {
    switch value {
    case .string(let text): return "string \"\(text)\""
    case .integer(let integer): return "integer \(integer)"
    case .float(let float): return "float \(format(float))"
    case .boolean(let bool): return "boolean \(bool)"
    case .array: return "an array"
    case .table: return "a table"
    case .dateTime(let text): return "date-time \(text)"
    }
}

func format(_ number: Double) -> String {
    number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
}

/// The known key within edit distance 2 of a misspelt one, if any.
func closest(to key: String, in candidates: [String]) -> String? {
    // An edit distance is at least the difference in length, so only names of
    // about the same length are compared: an unknown key can be kilobytes long
    // (a paste gone wrong), and comparing it with every known key took seconds.
    let length = key.count
    let scored = candidates.filter { abs($0.count - length) <= 2 }.map { ($0, editDistance(key, $0)) }
        .filter { $0.1 <= 2 }
    return scored.min(by: { $0.1 < $1.1 })?.0
}

/// An unknown name as a message shows it: enough to find it, never kilobytes.
func shownName(_ name: String) -> String {
    name.count <= 64 ? name : name.prefix(60) + "…"
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = Swift.min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
