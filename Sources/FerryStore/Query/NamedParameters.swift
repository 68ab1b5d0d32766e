/// The configured statements name their parameters (`:identifier`,
/// `:legacy_id`), as SQLite reads them; PostgreSQL numbers them (`$1`). This
/// rewrites one into the other, leaving alone every `:` that is not a
/// parameter: inside string literals ('…', E'…', $tag$…$tag$), quoted
/// identifiers, comments, and `::` casts.
public enum NamedParameters {
    /// `sql` with each `:name` replaced by `$n` (one number per distinct
    /// name, in order of first use), and the names in that order.
    public static func positional(_ sql: String) -> (sql: String, names: [String]) {
        let text = Array(sql.unicodeScalars)
        var output = String.UnicodeScalarView()
        var names: [String] = []
        var index = 0

        func copy(through end: Int) {
            output.append(contentsOf: text[index..<min(end, text.count)])
            index = min(end, text.count)
        }
        func isNameStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
        func isNamePart(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || ("0"..."9").contains(c) }

        while index < text.count {
            let c = text[index]
            let next: Unicode.Scalar? = index + 1 < text.count ? text[index + 1] : nil
            switch c {
            case "'":
                // E'…' strings also take backslash escapes; '' is a quote either way.
                let escapes = index > 0 && (text[index - 1] == "E" || text[index - 1] == "e")
                copy(through: quotedEnd(text, from: index, quote: "'", backslash: escapes))
            case "\"":
                copy(through: quotedEnd(text, from: index, quote: "\"", backslash: false))
            case "-" where next == "-":
                var end = index
                while end < text.count, text[end] != "\n" { end += 1 }
                copy(through: end)
            case "/" where next == "*":
                copy(through: blockCommentEnd(text, from: index))
            case "$":
                if let end = dollarQuoteEnd(text, from: index) { copy(through: end) } else { copy(through: index + 1) }
            case ":" where next == ":":
                copy(through: index + 2)
            case ":" where next.map(isNameStart) == true:
                var end = index + 1
                while end < text.count, isNamePart(text[end]) { end += 1 }
                let name = String(String.UnicodeScalarView(text[(index + 1)..<end]))
                if !names.contains(name) { names.append(name) }
                output.append(contentsOf: "$\(names.firstIndex(of: name)! + 1)".unicodeScalars)
                index = end
            default:
                copy(through: index + 1)
            }
        }
        return (String(output), names)
    }

    /// Just past the quote closing the one at `start`; the end of the text if none does.
    static func quotedEnd(_ text: [Unicode.Scalar], from start: Int, quote: Unicode.Scalar, backslash: Bool) -> Int {
        var index = start + 1
        while index < text.count {
            if backslash, text[index] == "\\" {
                index += 2
            } else if text[index] == quote {
                // A doubled quote is the quote character itself.
                if index + 1 < text.count, text[index + 1] == quote { index += 2 } else { return index + 1 }
            } else {
                index += 1
            }
        }
        return text.count
    }

    /// Just past the `*/` closing the comment at `start`; PostgreSQL nests them.
    static func blockCommentEnd(_ text: [Unicode.Scalar], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index + 1 < text.count {
            if text[index] == "/", text[index + 1] == "*" {
                depth += 1
                index += 2
            } else if text[index] == "*", text[index + 1] == "/" {
                depth -= 1
                index += 2
                if depth == 0 { return index }
            } else {
                index += 1
            }
        }
        return text.count
    }

    /// Just past the `$tag$` closing a dollar-quoted string opened at
    /// `start`; nil when `start` opens none (a `$1` already in the text).
    static func dollarQuoteEnd(_ text: [Unicode.Scalar], from start: Int) -> Int? {
        var tagEnd = start + 1
        while tagEnd < text.count, text[tagEnd] != "$" {
            let c = text[tagEnd]
            guard c == "_" || c.properties.isAlphabetic || (tagEnd > start + 1 && ("0"..."9").contains(c)) else {
                return nil
            }
            tagEnd += 1
        }
        guard tagEnd < text.count else { return nil }
        let tag = Array(text[start...tagEnd])
        var index = tagEnd + 1
        while index + tag.count <= text.count {
            if Array(text[index..<(index + tag.count)]) == tag { return index + tag.count }
            index += 1
        }
        return text.count
    }
}
