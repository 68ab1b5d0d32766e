/// The configured statements name their parameters (`:identifier`); MySQL's
/// text protocol takes values inline. This splits a statement at each
/// `:name` so that the values, escaped by the connection, can be put in —
/// leaving alone every `:` that is not a parameter: inside '…', "…" and
/// `…` quotes (with backslash escapes, MySQL's default), `#`, `-- ` and
/// `/* */` comments, and the `:=` assignment.
public enum MySQLParameters {
    public enum Piece: Equatable, Sendable {
        case text(String)
        case parameter(String)
    }

    public static func pieces(_ sql: String) -> [Piece] {
        let text = Array(sql.unicodeScalars)
        var pieces: [Piece] = []
        var current = String.UnicodeScalarView()
        var index = 0

        func copy(through end: Int) {
            current.append(contentsOf: text[index..<min(end, text.count)])
            index = min(end, text.count)
        }
        func isNameStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
        func isNamePart(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || ("0"..."9").contains(c) }
        func quotedEnd(from start: Int, quote: Unicode.Scalar, backslash: Bool) -> Int {
            var end = start + 1
            while end < text.count {
                if backslash && text[end] == "\\" {
                    end += 2
                    continue
                }
                if text[end] == quote {
                    // A doubled quote is one quote inside the literal.
                    if end + 1 < text.count, text[end + 1] == quote {
                        end += 2
                        continue
                    }
                    return end + 1
                }
                end += 1
            }
            return text.count
        }
        func lineEnd(from start: Int) -> Int {
            var end = start
            while end < text.count, text[end] != "\n" { end += 1 }
            return end
        }

        while index < text.count {
            let c = text[index]
            let next: Unicode.Scalar? = index + 1 < text.count ? text[index + 1] : nil
            let afterNext: Unicode.Scalar? = index + 2 < text.count ? text[index + 2] : nil
            switch c {
            case "'", "\"": copy(through: quotedEnd(from: index, quote: c, backslash: true))
            case "`": copy(through: quotedEnd(from: index, quote: "`", backslash: false))
            case "#": copy(through: lineEnd(from: index))
            // MySQL's `--` comment needs a space (or the line's end) after it.
            case "-"
            where next == "-" && (afterNext == nil || afterNext == " " || afterNext == "\t" || afterNext == "\n"):
                copy(through: lineEnd(from: index))
            case "/" where next == "*":
                var end = index + 2
                while end + 1 < text.count, !(text[end] == "*" && text[end + 1] == "/") { end += 1 }
                copy(through: min(end + 2, text.count))
            case ":" where next.map(isNameStart) == true:
                var end = index + 1
                while end < text.count, isNamePart(text[end]) { end += 1 }
                if !current.isEmpty { pieces.append(.text(String(current))) }
                current = String.UnicodeScalarView()
                pieces.append(.parameter(String(String.UnicodeScalarView(text[(index + 1)..<end]))))
                index = end
            default:
                copy(through: index + 1)
            }
        }
        if !current.isEmpty { pieces.append(.text(String(current))) }
        return pieces
    }

    /// The statement with each parameter replaced by `literal(value)`; a
    /// parameter Ferry does not supply is an error, as on SQLite.
    public static func statement(
        _ sql: String, _ parameters: [String: String?], literal: (String?) -> String
    ) throws -> String {
        var output = ""
        for piece in pieces(sql) {
            switch piece {
            case .text(let text): output += text
            case .parameter(let name):
                guard let value = parameters[name] else {
                    throw UnknownParameter(name: name, supplied: parameters.keys.sorted())
                }
                output += literal(value)
            }
        }
        return output
    }
}
