/// Finds the line on which a key path is written in a TOML text.
///
/// TOMLKit reports positions for syntax errors only, so for errors found while
/// validating a parsed document the locator scans the text the same way a reader
/// would: table headers set the current table (`[[route]]` counts its entries), and
/// `key = value` lines name keys inside it. Multi-line strings are skipped.
struct KeyLocator {
    private var lines: [String: Int] = [:]

    init(text: String) {
        var table: [String] = []
        var arrayCounts: [String: Int] = [:]
        var multilineDelimiter: String?

        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingSpaces()
            if let delimiter = multilineDelimiter {
                if line.contains(delimiter) { multilineDelimiter = nil }
                continue
            }
            if line.isEmpty || line.hasPrefix("#") { continue }

            if line.hasPrefix("[[") {
                let name = Self.headerName(line, open: "[[", close: "]]")
                let position = arrayCounts[name, default: 0]
                arrayCounts[name] = position + 1
                table = ["\(name)[\(position)]"]
                record(table.joined(separator: "."), lineNumber)
                continue
            }
            if line.hasPrefix("[") {
                let name = Self.headerName(line, open: "[", close: "]")
                table = [Self.resolveArrayTable(name, arrayCounts)]
                record(table.joined(separator: "."), lineNumber)
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = Self.unquote(String(line[..<equals]).trimmingSpaces())
            let path = (table + [key]).filter { !$0.isEmpty }.joined(separator: ".")
            record(path, lineNumber)

            let value = line[line.index(after: equals)...].trimmingSpaces()
            for delimiter in ["\"\"\"", "'''"] where value.hasPrefix(delimiter) {
                if !value.dropFirst(3).contains(delimiter) { multilineDelimiter = delimiter }
            }
        }
    }

    /// The line of `keyPath`, or of its closest enclosing key or table.
    func line(of keyPath: String) -> Int? {
        var path = keyPath
        while !path.isEmpty {
            if let line = lines[path] { return line }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            path = String(path[..<cut])
        }
        return nil
    }

    private mutating func record(_ path: String, _ line: Int) {
        if lines[path] == nil { lines[path] = line }
    }

    private static func headerName(_ line: String, open: String, close: String) -> String {
        var body = line.dropFirst(open.count)
        if let end = body.firstRange(of: close) { body = body[..<end.lowerBound] }
        return String(body).split(separator: ".").map { unquote(String($0).trimmingSpaces()) }
            .joined(separator: ".")
    }

    /// `[route.match]` after the third `[[route]]` belongs to `route[2].match`.
    private static func resolveArrayTable(_ name: String, _ counts: [String: Int]) -> String {
        let parts = name.split(separator: ".").map(String.init)
        guard let first = parts.first, let count = counts[first], count > 0 else { return name }
        return (["\(first)[\(count - 1)]"] + parts.dropFirst()).joined(separator: ".")
    }

    private static func unquote(_ key: String) -> String {
        if key.count >= 2, let first = key.first, first == "\"" || first == "'", key.last == first {
            return String(key.dropFirst().dropLast())
        }
        return key
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" || first == "\r" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" || last == "\r" { slice.removeLast() }
        return String(slice)
    }
}
