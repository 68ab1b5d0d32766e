/// Why a formula could not be read: where (a 1-based character position) and
/// what to change. Formulas come from the operator's config, never from a
/// request, so the message may quote them.
public struct HashExpressionError: Error, Equatable, Sendable, CustomStringConvertible {
    public let position: Int
    public let message: String

    public var description: String { "at character \(position): \(message)" }
}

extension HashExpression {
    /// Longest formula read; real ones are a line.
    static let maximumLength = 2048
    /// Deepest nesting read; `sha1(SALT + sha1(SALT + sha1(PASSWORD)))` is 3.
    static let maximumDepth = 32

    /// Reads `text`:
    ///
    ///     expression := term ("+" term)*
    ///     term       := "string" | 'string' | INPUT | name "(" arguments ")"
    ///     arguments  := argument ("," argument)*
    ///     argument   := expression | option "=" integer
    public init(parsing text: String) throws(HashExpressionError) {
        guard text.utf8.count <= Self.maximumLength else {
            throw HashExpressionError(
                position: Self.maximumLength, message: "longer than \(Self.maximumLength) characters")
        }
        var parser = Parser(text)
        let root = try parser.expression(depth: 0)
        parser.skipSpaces()
        if let extra = parser.peek {
            throw parser.error("unexpected \(Parser.describe(extra)); join parts with +")
        }
        let expression = HashExpression(root: root, source: text)
        guard expression.inputs.contains(.password) else {
            throw HashExpressionError(position: 1, message: "never reads PASSWORD, so every password would match")
        }
        try Self.checkVerifiersAtTop(root, top: true)
        self = expression
    }

    private static func checkVerifiersAtTop(_ node: Node, top: Bool) throws(HashExpressionError) {
        switch node {
        case .literal, .input: return
        case .concatenation(let parts):
            for part in parts { try checkVerifiersAtTop(part, top: false) }
        case .call(let function, let arguments, _):
            if function.isVerifier && !top {
                throw HashExpressionError(
                    position: 1,
                    message:
                        "bcrypt() and stored() check the stored hash, so they must be the whole expression, e.g. bcrypt(PASSWORD + PEPPER)"
                )
            }
            for argument in arguments { try checkVerifiersAtTop(argument, top: false) }
        }
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(_ text: String) { bytes = Array(text.utf8) }

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        func error(_ message: String) -> HashExpressionError {
            HashExpressionError(position: index + 1, message: message)
        }

        mutating func skipSpaces() {
            while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d { index += 1 }
        }

        mutating func expression(depth: Int) throws(HashExpressionError) -> Node {
            guard depth < HashExpression.maximumDepth else {
                throw error("nested deeper than \(HashExpression.maximumDepth) calls")
            }
            var parts = [try term(depth: depth)]
            skipSpaces()
            while peek == UInt8(ascii: "+") {
                index += 1
                parts.append(try term(depth: depth))
                skipSpaces()
            }
            return parts.count == 1 ? parts[0] : .concatenation(parts)
        }

        mutating func term(depth: Int) throws(HashExpressionError) -> Node {
            skipSpaces()
            guard let first = peek else { throw error("expected a value, found the end") }
            if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") { return .literal(try string(quote: first)) }
            guard Self.isNameStart(first) else {
                throw error(
                    "expected a string, PASSWORD, SALT, USERNAME, PEPPER or a function, found \(Self.describe(first))")
            }
            let start = index
            let name = word()
            if let input = Input(rawValue: name) { return .input(input) }
            skipSpaces()
            guard peek == UInt8(ascii: "(") else {
                if name.uppercased() == name {
                    throw HashExpressionError(
                        position: start + 1,
                        message:
                            "unknown input \(name); the inputs are \(Input.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                throw HashExpressionError(position: start + 1, message: "\(name) needs its arguments in parentheses")
            }
            guard let signature = HashFunction.named[name] else {
                throw HashExpressionError(
                    position: start + 1,
                    message:
                        "unknown function \(name); known: \(HashFunction.named.keys.sorted().joined(separator: ", "))")
            }
            index += 1
            return try call(name, signature, at: start, depth: depth)
        }

        mutating func call(_ name: String, _ signature: HashFunction.Signature, at start: Int, depth: Int)
            throws(HashExpressionError) -> Node
        {
            var arguments: [Node] = []
            var options: [String: Int] = [:]
            skipSpaces()
            if peek != UInt8(ascii: ")") {
                while true {
                    skipSpaces()
                    if let option = try option(of: name, signature) {
                        guard options[option.name] == nil else { throw error("\(option.name)= given twice") }
                        options[option.name] = option.value
                    } else {
                        guard options.isEmpty else { throw error("values come before options such as n=…") }
                        arguments.append(try expression(depth: depth + 1))
                    }
                    skipSpaces()
                    guard peek == UInt8(ascii: ",") else { break }
                    index += 1
                }
            }
            guard peek == UInt8(ascii: ")") else { throw error("expected , or ) in the arguments of \(name)") }
            index += 1
            let usage = Self.usage(name, signature)
            guard arguments.count == signature.arguments else {
                throw HashExpressionError(
                    position: start + 1, message: "\(name) takes \(signature.arguments) value(s): \(usage)")
            }
            for required in signature.options where options[required.name] == nil {
                throw HashExpressionError(position: start + 1, message: "\(name) needs \(required.name)=…: \(usage)")
            }
            return .call(signature.function, arguments: arguments, options: options)
        }

        /// `name = integer` when the next word is followed by `=`; nil otherwise.
        mutating func option(of function: String, _ signature: HashFunction.Signature)
            throws(HashExpressionError) -> (name: String, value: Int)?
        {
            let start = index
            guard let first = peek, Self.isNameStart(first) else { return nil }
            let name = word()
            skipSpaces()
            guard peek == UInt8(ascii: "=") else {
                index = start
                return nil
            }
            index += 1
            skipSpaces()
            guard let known = signature.options.first(where: { $0.name == name }) else {
                let names = signature.options.map(\.name)
                throw HashExpressionError(
                    position: start + 1,
                    message: names.isEmpty
                        ? "\(function) takes no options"
                        : "\(function) has no option \(name); its options are \(names.joined(separator: ", "))")
            }
            let digits = index
            while let byte = peek, byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") { index += 1 }
            guard index > digits, index - digits <= 10,
                let value = Int(String(decoding: bytes[digits..<index], as: UTF8.self))
            else { throw error("\(name)= needs a whole number") }
            guard known.range.contains(value) else {
                throw HashExpressionError(
                    position: digits + 1,
                    message: "\(name)=\(value) is outside \(known.range.lowerBound)…\(known.range.upperBound)")
            }
            return (name, value)
        }

        mutating func string(quote: UInt8) throws(HashExpressionError) -> [UInt8] {
            let start = index
            index += 1
            var value: [UInt8] = []
            while let byte = peek {
                index += 1
                if byte == quote { return value }
                if byte == UInt8(ascii: "\\") {
                    guard let escaped = peek, escaped == quote || escaped == UInt8(ascii: "\\") else {
                        throw error("only \\\\ and \\\(Character(Unicode.Scalar(quote))) are escapes in a string")
                    }
                    index += 1
                    value.append(escaped)
                } else {
                    value.append(byte)
                }
            }
            throw HashExpressionError(position: start + 1, message: "string never closed")
        }

        mutating func word() -> String {
            let start = index
            while let byte = peek, Self.isNameStart(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) {
                index += 1
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// A byte as a person reads it in an error message.
        static func describe(_ byte: UInt8) -> String {
            byte > 0x20 && byte < 0x7f
                ? "\"\(Character(Unicode.Scalar(byte)))\"" : "a non-printing or non-ASCII character"
        }

        static func isNameStart(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || byte == UInt8(ascii: "_")
        }

        static func usage(_ name: String, _ signature: HashFunction.Signature) -> String {
            let values =
                signature.arguments == 2
                ? (name.hasPrefix("hmac") ? ["key", "message"] : ["password", "salt"]) : ["x"]
            return "\(name)(\((values + signature.options.map { "\($0.name)=…" }).joined(separator: ", ")))"
        }
    }
}
