extension HashExpression {
    /// What a formula reads for one account and one login attempt.
    struct Values: Sendable {
        var password: [UInt8]
        var salt: [UInt8]
        var username: [UInt8]
        var pepper: [UInt8]

        func value(of input: Input) -> [UInt8] {
            switch input {
            case .password: password
            case .salt: salt
            case .username: username
            case .pepper: pepper
            }
        }
    }

    /// The formula's value, or nil when a step cannot be taken for these
    /// inputs (`unhex` of text that is not hex, a password outside Latin-1):
    /// the application could not have stored a hash that way, so it is a
    /// mismatch, not an error.
    static func evaluate(_ node: Node, _ values: Values) -> [UInt8]? {
        switch node {
        case .literal(let bytes): return bytes
        case .input(let input): return values.value(of: input)
        case .concatenation(let parts):
            var bytes: [UInt8] = []
            for part in parts {
                guard let value = evaluate(part, values) else { return nil }
                bytes += value
            }
            return bytes
        case .call(let function, let arguments, let options):
            var evaluated: [[UInt8]] = []
            for argument in arguments {
                guard let value = evaluate(argument, values) else { return nil }
                evaluated.append(value)
            }
            return apply(function, evaluated, options)
        }
    }

    private static func apply(_ function: HashFunction, _ arguments: [[UInt8]], _ options: [String: Int]) -> [UInt8]? {
        let x = arguments[0]
        switch function {
        case .digest(let digest, let raw):
            let value = digest.digest(x)
            return raw ? value : Array(Hex.encode(value).utf8)
        case .md4(let raw):
            let value = MD4.digest(x)
            return raw ? value : Array(Hex.encode(value).utf8)
        case .hmac(let digest, let raw):
            let value = digest.hmac(key: x, arguments[1])
            return raw ? value : Array(Hex.encode(value).utf8)
        case .hex: return Array(Hex.encode(x).utf8)
        case .unhex: return Hex.decode(String(decoding: x, as: UTF8.self))
        case .base64: return Array(Base64Alphabet.standard.encode(x).utf8)
        case .unbase64: return Base64Alphabet.standard.decode(String(decoding: x, as: UTF8.self))
        case .upper: return x.map { $0 >= 0x61 && $0 <= 0x7a ? $0 - 0x20 : $0 }
        case .lower: return x.map { $0 >= 0x41 && $0 <= 0x5a ? $0 + 0x20 : $0 }
        case .latin1:
            var bytes: [UInt8] = []
            for scalar in String(decoding: x, as: UTF8.self).unicodeScalars {
                guard scalar.value <= 0xff else { return nil }
                bytes.append(UInt8(scalar.value))
            }
            return bytes
        case .utf16le:
            return String(decoding: x, as: UTF8.self).utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }
        case .pbkdf2(let digest):
            return digest.pbkdf2(
                password: x, salt: arguments[1], iterations: options["iterations"]!, keyLength: options["length"]!)
        case .scrypt:
            return scryptDerive(
                password: x, salt: arguments[1], n: UInt64(options["n"]!), r: UInt64(options["r"]!),
                p: UInt64(options["p"]!), keyLength: options["length"]!)
        case .argon2(let variant):
            let parameters = Argon2Parameters(
                variant: variant, version: 0x13, memoryKiB: UInt32(options["m"]!), iterations: UInt32(options["t"]!),
                parallelism: UInt32(options["p"]!))
            return parameters.derive(password: x, salt: arguments[1], length: options["length"]!)
        case .bcrypt, .stored:
            // The parser keeps verifiers at the top, where `ExpressionHash` handles them.
            return nil
        }
    }
}

/// A stored hash read through a configured formula.
struct ExpressionHash: ParsedHash {
    let expression: HashExpression
    let stored: [UInt8]
    let salt: [UInt8]
    let username: [UInt8]
    let pepper: [UInt8]
    /// For `bcrypt(x)` and `stored(x)`: the stored hash, already parsed.
    let inner: (any ParsedHash)?

    var scheme: String { inner.map { "expression-\($0.scheme)" } ?? "expression" }

    var parameters: [(name: String, value: String)] {
        // The formula is config, not secret; the pepper's value never appears in it.
        [("expression", expression.source)] + (inner?.parameters ?? [])
    }

    func verify(_ password: [UInt8]) -> Bool {
        let values = HashExpression.Values(password: password, salt: salt, username: username, pepper: pepper)
        if let verifier = expression.verifier {
            guard let inner, let input = HashExpression.evaluate(verifier.argument, values) else { return false }
            return inner.verify(input)
        }
        guard let value = HashExpression.evaluate(expression.root, values) else { return false }
        return constantTimeEquals(Self.foldingHexCase(value, like: stored), stored)
    }

    /// Hex digits carry no meaning in their case, and databases differ in which
    /// they keep: a hex value compares with stored hex whatever either's case.
    static func foldingHexCase(_ value: [UInt8], like stored: [UInt8]) -> [UInt8] {
        guard value.count == stored.count, Hex.isHex(String(decoding: value, as: UTF8.self)),
            Hex.isHex(String(decoding: stored, as: UTF8.self))
        else { return value }
        let isLetter = { (byte: UInt8) in (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x66 }
        return zip(value, stored).map { mine, theirs in
            guard isLetter(mine), isLetter(theirs) else { return mine }
            let theirsIsLower = theirs & 0x20 != 0
            return theirsIsLower ? mine | 0x20 : mine & ~0x20
        }
    }
}
