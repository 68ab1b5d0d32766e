/// A syntax error in a TOML text, with where it was found.
struct TOMLSyntaxError: Error, Equatable {
    var line: Int
    var column: Int
    var message: String
}

/// A parsed TOML document: its root table and the line on which each key path
/// was first written (`server.listen`, `route[2].match.host`), for errors found
/// later while validating values.
struct TOMLDocument {
    var root: TOMLTable
    var lines: [String: Int]

    /// The line of `keyPath`, or of its closest enclosing key or table.
    func line(of keyPath: String) -> Int? {
        var path = Substring(keyPath)
        while !path.isEmpty {
            if let line = lines[String(path)] { return line }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            path = path[..<cut]
        }
        return nil
    }
}

/// A TOML 1.0 parser written for a file an operator edits by hand.
///
/// Ferry's own, rather than a C++ library's: every byte sequence ends in a value
/// or in a `TOMLSyntaxError` naming line and column — no assertion, no
/// recursion without bound — because a typo in a reloaded config must never
/// stop the running proxy. It also knows the line of every key, which the
/// validator needs for its messages.
struct TOMLParser {
    /// Arrays and inline tables nested deeper than this are refused, so that a
    /// hostile file cannot exhaust the stack.
    static let maximumDepth = 64

    private let bytes: [UInt8]
    private var position = 0
    private var line = 1
    private var lineStart = 0

    private let root = TOMLTable(origin: .header)
    /// The table that `key = value` lines currently add to, and its path.
    private var current: TOMLTable
    private var currentPath: [String] = []
    private var lines: [String: Int] = [:]
    /// Tables written as `[header]`, by identity, so that none is written twice.
    private var headed: Set<ObjectIdentifier> = []

    static func parse(_ text: String) throws(TOMLSyntaxError) -> TOMLDocument {
        var parser = TOMLParser(bytes: Array(text.utf8))
        return try parser.document()
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
        current = root
        headed.insert(ObjectIdentifier(root))
    }

    // MARK: - Document

    private mutating func document() throws(TOMLSyntaxError) -> TOMLDocument {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            position = 3
            lineStart = 3
        }
        while position < bytes.count {
            skipBlanks()
            guard let byte = peek() else { break }
            switch byte {
            case UInt8(ascii: "#"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                break
            case UInt8(ascii: "["):
                try header()
            default:
                try keyValue(into: current, path: currentPath, depth: 0)
            }
            try endOfLine()
        }
        return TOMLDocument(root: root, lines: lines)
    }

    /// After an expression: blanks, an optional comment, then a newline or the end.
    private mutating func endOfLine() throws(TOMLSyntaxError) {
        skipBlanks()
        if peek() == UInt8(ascii: "#") { try comment() }
        guard let byte = peek() else { return }
        if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
            try newline()
            return
        }
        throw error("expected the end of the line, found \(describe(byte))")
    }

    private mutating func comment() throws(TOMLSyntaxError) {
        position += 1
        while let byte = peek(), byte != UInt8(ascii: "\n") {
            if byte == UInt8(ascii: "\r"), peek(at: 1) == UInt8(ascii: "\n") { break }
            if isForbiddenControl(byte) { throw error("control character \(describe(byte)) in a comment") }
            position += 1
        }
    }

    private mutating func newline() throws(TOMLSyntaxError) {
        if peek() == UInt8(ascii: "\r") {
            guard peek(at: 1) == UInt8(ascii: "\n") else {
                throw error("a carriage return must be followed by a newline")
            }
            position += 1
        }
        position += 1
        line += 1
        lineStart = position
    }

    // MARK: - Headers

    private mutating func header() throws(TOMLSyntaxError) {
        let headerLine = line
        position += 1
        let isArray = peek() == UInt8(ascii: "[")
        if isArray { position += 1 }
        skipBlanks()
        let keys = try dottedKey()
        skipBlanks()
        guard peek() == UInt8(ascii: "]") else {
            throw error("expected `\(isArray ? "]]" : "]")` to close the table header, found \(describe(peek()))")
        }
        position += 1
        if isArray {
            guard peek() == UInt8(ascii: "]") else { throw error("expected `]]` to close the array-of-tables header") }
            position += 1
        }

        var table = root
        var path: [String] = []
        for key in keys.dropLast() {
            (table, path) = try descend(table, key, path: path, headerKeys: keys)
        }
        let last = keys[keys.count - 1]
        if isArray {
            let element = TOMLTable(origin: .header)
            switch table[last] {
            case nil:
                table[last] = .array([.table(element)])
                table.arraysOfTables.insert(last)
            case .array(let elements) where table.arraysOfTables.contains(last):
                table[last] = .array(elements + [.table(element)])
            default:
                throw error(
                    "`[[\(keys.joined(separator: "."))]]` names a key that already holds a value", line: headerLine)
            }
            headed.insert(ObjectIdentifier(element))
            let count = table[last]?.array?.count ?? 1
            path.append("\(last)[\(count - 1)]")
            current = element
        } else {
            switch table[last] {
            case nil:
                let created = TOMLTable(origin: .header)
                table[last] = .table(created)
                current = created
            case .table(let existing)
            where existing.origin == .implicit && !headed.contains(ObjectIdentifier(existing)):
                existing.origin = .header
                current = existing
            default:
                throw error("table `[\(keys.joined(separator: "."))]` is defined more than once", line: headerLine)
            }
            headed.insert(ObjectIdentifier(current))
            path.append(last)
        }
        currentPath = path
        record(path, line: headerLine)
    }

    /// One step down a header's path: into a table, creating it implicitly, or
    /// into the last entry of an array of tables.
    private mutating func descend(
        _ table: TOMLTable, _ key: String, path: [String], headerKeys: [String]
    ) throws(TOMLSyntaxError) -> (TOMLTable, [String]) {
        switch table[key] {
        case nil:
            let created = TOMLTable(origin: .implicit)
            table[key] = .table(created)
            // An implicit table's line is the header that made it, so that a
            // typo such as `[upstream.new]` is reported where it is.
            record(path + [key], line: line)
            return (created, path + [key])
        case .table(let existing) where existing.origin != .inline:
            return (existing, path + [key])
        case .array(let elements) where table.arraysOfTables.contains(key):
            guard case .table(let last)? = elements.last else { break }
            return (last, path + ["\(key)[\(elements.count - 1)]"])
        default:
            break
        }
        throw error("`\(headerKeys.joined(separator: "."))` goes through `\(key)`, which is not a table")
    }

    // MARK: - Key/value pairs

    private mutating func keyValue(into table: TOMLTable, path: [String], depth: Int) throws(TOMLSyntaxError) {
        let keyLine = line
        let keys = try dottedKey()
        skipBlanks()
        guard peek() == UInt8(ascii: "=") else {
            throw error("expected `=` after the key `\(keys.joined(separator: "."))`, found \(describe(peek()))")
        }
        position += 1
        skipBlanks()
        var target = table
        var targetPath = path
        for key in keys.dropLast() {
            switch target[key] {
            case nil:
                let created = TOMLTable(origin: .dottedKey)
                target[key] = .table(created)
                target = created
            case .table(let existing) where existing.origin == .dottedKey:
                target = existing
            default:
                throw error(
                    "the dotted key `\(keys.joined(separator: "."))` goes through `\(key)`, which is already defined",
                    line: keyLine)
            }
            targetPath.append(key)
            record(targetPath, line: keyLine)
        }
        let last = keys[keys.count - 1]
        guard !target.contains(key: last) else {
            throw error("key `\((path + keys).joined(separator: "."))` is defined more than once", line: keyLine)
        }
        target[last] = try value(path: targetPath + [last], depth: depth)
        record(targetPath + [last], line: keyLine)
    }

    private mutating func dottedKey() throws(TOMLSyntaxError) -> [String] {
        var keys = [try simpleKey()]
        while true {
            let saved = position
            skipBlanks()
            guard peek() == UInt8(ascii: ".") else {
                position = saved
                return keys
            }
            position += 1
            skipBlanks()
            keys.append(try simpleKey())
        }
    }

    private mutating func simpleKey() throws(TOMLSyntaxError) -> String {
        switch peek() {
        case UInt8(ascii: "\""):
            return try basicString()
        case UInt8(ascii: "'"):
            return try literalString()
        default:
            let start = position
            while let byte = peek(), isBareKeyByte(byte) { position += 1 }
            guard position > start else { throw error("expected a key, found \(describe(peek()))") }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }
    }

    // MARK: - Values

    private mutating func value(path: [String], depth: Int) throws(TOMLSyntaxError) -> TOMLValue {
        guard depth < Self.maximumDepth else {
            throw error("arrays and inline tables are nested more than \(Self.maximumDepth) deep")
        }
        guard let byte = peek() else { throw error("expected a value, found the end of the file") }
        switch byte {
        case UInt8(ascii: "\""):
            if starts(with: "\"\"\"") { return .string(try multilineBasicString()) }
            return .string(try basicString())
        case UInt8(ascii: "'"):
            if starts(with: "'''") { return .string(try multilineLiteralString()) }
            return .string(try literalString())
        case UInt8(ascii: "["):
            return try array(path: path, depth: depth + 1)
        case UInt8(ascii: "{"):
            return try inlineTable(path: path, depth: depth + 1)
        case UInt8(ascii: "t"):
            if starts(with: "true") {
                position += 4
                return .boolean(true)
            }
        case UInt8(ascii: "f"):
            if starts(with: "false") {
                position += 5
                return .boolean(false)
            }
        default:
            if isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "i")
                || byte == UInt8(ascii: "n")
            {
                return try numberOrDate()
            }
        }
        throw error("expected a value (a string, number, true/false, array or table), found \(describe(byte))")
    }

    private mutating func array(path: [String], depth: Int) throws(TOMLSyntaxError) -> TOMLValue {
        position += 1
        var elements: [TOMLValue] = []
        while true {
            try skipArraySpace()
            if peek() == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            elements.append(try value(path: path + ["\(elements.count)"], depth: depth))
            try skipArraySpace()
            switch peek() {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "]"):
                position += 1
                return .array(elements)
            default:
                throw error("expected `,` or `]` in an array, found \(describe(peek()))")
            }
        }
    }

    /// Blanks, newlines and comments, which arrays may hold between values.
    private mutating func skipArraySpace() throws(TOMLSyntaxError) {
        while true {
            skipBlanks()
            switch peek() {
            case UInt8(ascii: "#"): try comment()
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"): try newline()
            default: return
            }
        }
    }

    private mutating func inlineTable(path: [String], depth: Int) throws(TOMLSyntaxError) -> TOMLValue {
        position += 1
        let table = TOMLTable(origin: .dottedKey)
        skipBlanks()
        if peek() == UInt8(ascii: "}") {
            position += 1
            table.origin = .inline
            return .table(table)
        }
        while true {
            skipBlanks()
            try keyValue(into: table, path: path, depth: depth)
            skipBlanks()
            switch peek() {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "}"):
                position += 1
                seal(table)
                return .table(table)
            default:
                throw error(
                    "expected `,` or `}` in an inline table (which must fit on one line), found \(describe(peek()))")
            }
        }
    }

    /// An inline table and the tables its dotted keys made are complete as written.
    private func seal(_ table: TOMLTable) {
        table.origin = .inline
        for key in table.keys {
            if case .table(let inner)? = table[key], inner.origin == .dottedKey { seal(inner) }
        }
    }

    // MARK: - Strings

    private mutating func basicString() throws(TOMLSyntaxError) -> String {
        position += 1
        var scalars: [UInt8] = []
        while true {
            guard let byte = peek() else { throw error("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return String(decoding: scalars, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try escape(into: &scalars)
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                throw error("unterminated string (a newline inside \"…\"; use \"\"\"…\"\"\" for several lines)")
            default:
                if isForbiddenControl(byte) { throw error("control character \(describe(byte)) in a string") }
                scalars.append(byte)
                position += 1
            }
        }
    }

    private mutating func multilineBasicString() throws(TOMLSyntaxError) -> String {
        position += 3
        try trimFirstNewline()
        var scalars: [UInt8] = []
        while true {
            guard let byte = peek() else { throw error("unterminated multi-line string") }
            switch byte {
            case UInt8(ascii: "\""):
                if try closesMultiline(quote: byte, into: &scalars) { return String(decoding: scalars, as: UTF8.self) }
            case UInt8(ascii: "\\"):
                if try lineEndingBackslash() { continue }
                try escape(into: &scalars)
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try newline()
                scalars.append(UInt8(ascii: "\n"))
            default:
                if isForbiddenControl(byte) { throw error("control character \(describe(byte)) in a string") }
                scalars.append(byte)
                position += 1
            }
        }
    }

    private mutating func literalString() throws(TOMLSyntaxError) -> String {
        position += 1
        let start = position
        while true {
            guard let byte = peek() else { throw error("unterminated string") }
            if byte == UInt8(ascii: "'") {
                position += 1
                return String(decoding: bytes[start..<(position - 1)], as: UTF8.self)
            }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                throw error("unterminated string (a newline inside '…'; use '''…''' for several lines)")
            }
            if isForbiddenControl(byte) { throw error("control character \(describe(byte)) in a string") }
            position += 1
        }
    }

    private mutating func multilineLiteralString() throws(TOMLSyntaxError) -> String {
        position += 3
        try trimFirstNewline()
        var scalars: [UInt8] = []
        while true {
            guard let byte = peek() else { throw error("unterminated multi-line string") }
            switch byte {
            case UInt8(ascii: "'"):
                if try closesMultiline(quote: byte, into: &scalars) { return String(decoding: scalars, as: UTF8.self) }
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try newline()
                scalars.append(UInt8(ascii: "\n"))
            default:
                if isForbiddenControl(byte) { throw error("control character \(describe(byte)) in a string") }
                scalars.append(byte)
                position += 1
            }
        }
    }

    private mutating func trimFirstNewline() throws(TOMLSyntaxError) {
        if peek() == UInt8(ascii: "\n") || peek() == UInt8(ascii: "\r") { try newline() }
    }

    /// At a quote inside a multi-line string: three to five quotes close it (up
    /// to two belong to the content); fewer are content.
    private mutating func closesMultiline(quote: UInt8, into scalars: inout [UInt8]) throws(TOMLSyntaxError) -> Bool {
        var count = 0
        while peek(at: count) == quote { count += 1 }
        if count < 3 {
            scalars.append(contentsOf: repeatElement(quote, count: count))
            position += count
            return false
        }
        guard count <= 5 else { throw error("too many quotes closing a multi-line string") }
        scalars.append(contentsOf: repeatElement(quote, count: count - 3))
        position += count
        return true
    }

    /// A backslash that ends a line joins it to the next non-blank text.
    private mutating func lineEndingBackslash() throws(TOMLSyntaxError) -> Bool {
        var offset = 1
        while let byte = peek(at: offset), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { offset += 1 }
        guard let next = peek(at: offset), next == UInt8(ascii: "\n") || next == UInt8(ascii: "\r") else {
            return false
        }
        position += offset
        while true {
            switch peek() {
            case UInt8(ascii: " "), UInt8(ascii: "\t"): position += 1
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"): try newline()
            default: return true
            }
        }
    }

    private mutating func escape(into scalars: inout [UInt8]) throws(TOMLSyntaxError) {
        position += 1
        guard let byte = peek() else { throw error("unterminated string") }
        position += 1
        let simple: UInt8? =
            switch byte {
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "t"): 0x09
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "\""): 0x22
            case UInt8(ascii: "\\"): 0x5C
            default: nil
            }
        if let simple {
            scalars.append(simple)
            return
        }
        let digits: Int
        switch byte {
        case UInt8(ascii: "u"): digits = 4
        case UInt8(ascii: "U"): digits = 8
        default:
            position -= 1
            throw error("unknown escape `\\\(describe(byte, quoted: false))` in a string")
        }
        var code: UInt32 = 0
        for _ in 0..<digits {
            guard let digit = peek().flatMap(hexValue) else {
                throw error("`\\\(byte == UInt8(ascii: "u") ? "u" : "U")` must be followed by \(digits) hex digits")
            }
            code = code << 4 | UInt32(digit)
            position += 1
        }
        guard let scalar = Unicode.Scalar(code) else {
            throw error(
                "escape names U+\(String(code, radix: 16, uppercase: true)), which is not a Unicode scalar value")
        }
        scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    // MARK: - Numbers, dates and times

    private mutating func numberOrDate() throws(TOMLSyntaxError) -> TOMLValue {
        let start = position
        let startColumn = position - lineStart + 1
        while let byte = peek(), isNumberByte(byte) { position += 1 }
        // A local date followed by a space and a time is one date-time.
        if position - start == 10, peek() == UInt8(ascii: " "), let digit = peek(at: 1), isDigit(digit),
            peek(at: 3) == UInt8(ascii: ":"), bytes[start + 4] == UInt8(ascii: "-")
        {
            position += 1
            while let byte = peek(), isNumberByte(byte) { position += 1 }
        }
        let token = String(decoding: bytes[start..<position], as: UTF8.self)
        if let value = TOMLScalars.integer(token) { return .integer(value) }
        if let value = TOMLScalars.float(token) { return .float(value) }
        if TOMLScalars.isDateTime(token) { return .dateTime(token) }
        if TOMLScalars.looksLikeInteger(token) {
            throw TOMLSyntaxError(line: line, column: startColumn, message: "integer `\(token)` is out of range")
        }
        throw TOMLSyntaxError(
            line: line, column: startColumn, message: "`\(token)` is not a valid number, date or time")
    }

    // MARK: - Bytes

    private func peek(at offset: Int = 0) -> UInt8? {
        let index = position + offset
        return index < bytes.count ? bytes[index] : nil
    }

    private func starts(with text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        return text.withUTF8Buffer { buffer in
            buffer.indices.allSatisfy { bytes[position + $0] == buffer[$0] }
        }
    }

    private mutating func skipBlanks() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { position += 1 }
    }

    private mutating func record(_ path: [String], line: Int) {
        let key = path.joined(separator: ".")
        if lines[key] == nil { lines[key] = line }
    }

    private func error(_ message: String, line errorLine: Int? = nil) -> TOMLSyntaxError {
        if let errorLine, errorLine != line {
            return TOMLSyntaxError(line: errorLine, column: 1, message: message)
        }
        return TOMLSyntaxError(line: line, column: position - lineStart + 1, message: message)
    }

    private func describe(_ byte: UInt8?, quoted: Bool = true) -> String {
        guard let byte else { return "the end of the file" }
        switch byte {
        case UInt8(ascii: "\n"), UInt8(ascii: "\r"): return "the end of the line"
        case 0x20...0x7E:
            let character = String(UnicodeScalar(byte))
            return quoted ? "`\(character)`" : character
        default:
            // Shown as a code, never as raw bytes: the message may reach a terminal.
            if byte < 0x80 { return "U+" + String(byte, radix: 16, uppercase: true).leftPadded(to: 4) }
            return "a non-ASCII character"
        }
    }
}

private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

private func isBareKeyByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
        true
    default: false
    }
}

private func isNumberByte(_ byte: UInt8) -> Bool {
    isBareKeyByte(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
}

/// Control characters TOML forbids in strings and comments (tab is allowed).
private func isForbiddenControl(_ byte: UInt8) -> Bool {
    (byte < 0x20 && byte != 0x09) || byte == 0x7F
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
