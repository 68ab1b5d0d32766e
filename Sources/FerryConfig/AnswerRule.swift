/// One entry of `[legacy.answer] accepted` or `rejected`: what legacy's answer
/// to a login Ferry forwarded looks like when the password was right (or
/// wrong). Terms are separated by spaces and must all hold:
///
/// - `status=303`, `status=302,303`, `status=2xx`: the status code;
/// - `location=/account`: the `Location` header's path starts with this (a
///   whole segment: `/account` is not `/accounts`); scheme and host are
///   ignored, a query may follow the path or be part of the term;
/// - `cookie=NAME`: the answer sets the cookie NAME to a value that has not
///   expired (a cookie being cleared is not a session);
/// - `json:/POINTER` (RFC 6901): the JSON body has a value there that is not
///   null, false or empty; `json:/POINTER=VALUE`: the value there reads as
///   VALUE (a string, a number, `true`/`false`).
public struct AnswerRule: Equatable, Sendable, CustomStringConvertible {
    public enum Term: Equatable, Sendable {
        case status([ClosedRange<Int>])
        case location(String)
        case cookie(String)
        case json(pointer: String, equals: String?)
    }

    public let terms: [Term]
    public let description: String

    /// Whether some term needs the answer's body.
    public var readsBody: Bool {
        terms.contains { if case .json = $0 { return true } else { return false } }
    }

    /// nil and a message when `text` is not a rule.
    public static func parse(_ text: String) -> (rule: AnswerRule?, problem: String?) {
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        guard !words.isEmpty else { return (nil, "is empty; write terms such as `status=303 cookie=session`") }
        var terms: [Term] = []
        for word in words {
            switch term(word) {
            case .success(let term): terms.append(term)
            case .failure(let problem): return (nil, problem.message)
            }
        }
        return (AnswerRule(terms: terms, description: words.joined(separator: " ")), nil)
    }

    private struct Problem: Error {
        var message: String
    }

    private static func term(_ word: Substring) -> Result<Term, Problem> {
        if word.hasPrefix("json:") {
            let rest = word.dropFirst("json:".count)
            let pointer: Substring
            var value: String?
            if let equals = rest.firstIndex(of: "=") {
                pointer = rest[..<equals]
                value = String(rest[rest.index(after: equals)...])
            } else {
                pointer = rest
            }
            guard pointer.hasPrefix("/") else {
                return .failure(Problem(message: "has `\(word)`: a JSON pointer starts with `/` (`json:/error`)"))
            }
            return .success(.json(pointer: String(pointer), equals: value))
        }
        guard let equals = word.firstIndex(of: "=") else {
            return .failure(
                Problem(message: "has `\(word)`, which is not `status=`, `location=`, `cookie=` or `json:/pointer`"))
        }
        let name = word[..<equals]
        let value = String(word[word.index(after: equals)...])
        switch name {
        case "status":
            var ranges: [ClosedRange<Int>] = []
            for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                if part.count == 3, part.hasSuffix("xx"), let hundreds = Int(part.prefix(1)), (1...5).contains(hundreds)
                {
                    ranges.append(hundreds * 100...hundreds * 100 + 99)
                } else if let code = Int(part), (100...599).contains(code) {
                    ranges.append(code...code)
                } else {
                    return .failure(
                        Problem(message: "has `\(word)`: a status is a code 100–599 or a class such as `3xx`"))
                }
            }
            return .success(.status(ranges))
        case "location":
            guard value.hasPrefix("/") else {
                return .failure(Problem(message: "has `\(word)`: the location is a path such as `/account`"))
            }
            return .success(.location(value))
        case "cookie":
            guard !value.isEmpty, value.allSatisfy(\.isCookieNameCharacter) else {
                return .failure(Problem(message: "has `\(word)`: name the cookie, as in `cookie=session`"))
            }
            return .success(.cookie(value))
        default:
            return .failure(
                Problem(message: "has `\(word)`, which is not `status=`, `location=`, `cookie=` or `json:/pointer`"))
        }
    }
}

extension Character {
    /// RFC 6265's cookie-name: a token.
    fileprivate var isCookieNameCharacter: Bool {
        isASCII && (isLetter || isNumber || "!#$%&'*+-.^_`|~".contains(self))
    }
}
