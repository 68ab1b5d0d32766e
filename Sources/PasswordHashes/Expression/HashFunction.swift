/// The functions a hash expression may call, with their arity and options.
/// One table (`HashFunction.named`) is both the parser's dictionary and the
/// documentation's list.
enum HashFunction: Equatable, Sendable {
    /// `md5(x)` … `sha512(x)`: lowercase hex; `md5_raw(x)`: the bytes.
    case digest(DigestAlgorithm, raw: Bool)
    /// `md4(x)`: lowercase hex; `md4_raw(x)`: the bytes (for the NT hash,
    /// `md4(utf16le(PASSWORD))`).
    case md4(raw: Bool)
    /// `hmac_sha256(key, message)`: lowercase hex; `hmac_sha256_raw`: the bytes.
    case hmac(DigestAlgorithm, raw: Bool)
    /// `hex(x)` lowercase, `unhex(x)` (either case), `base64(x)` padded,
    /// `unbase64(x)` (padded or not), `upper(x)`, `lower(x)` (ASCII letters).
    case hex, unhex, base64, unbase64, upper, lower
    /// `latin1(x)`, `utf16le(x)`: re-encode UTF-8 text as older platforms did
    /// (.NET's `Encoding.Unicode`, MySQL's latin1 columns).
    case latin1, utf16le
    /// `pbkdf2_sha256(password, salt, iterations=N, length=L)`: the bytes.
    case pbkdf2(DigestAlgorithm)
    /// `scrypt(password, salt, n=N, r=R, p=P, length=L)`: the bytes.
    case scrypt
    /// `argon2id(password, salt, m=KiB, t=passes, p=lanes, length=L)`: the bytes.
    case argon2(Argon2Variant)
    /// `bcrypt(x)`: the stored hash is a bcrypt string checked against `x`.
    /// Only as the whole expression.
    case bcrypt
    /// `stored(x)`: the stored hash, in any format Ferry reads, checked against
    /// `x`. Only as the whole expression.
    case stored

    struct Signature {
        let function: HashFunction
        let arguments: Int
        /// Required integer options and the range each must fall in.
        let options: [(name: String, range: ClosedRange<Int>)]
    }

    var isVerifier: Bool { self == .bcrypt || self == .stored }

    static let named: [String: Signature] = {
        var table: [String: Signature] = [:]
        for digest in DigestAlgorithm.allCases {
            let name = digest.rawValue
            table[name] = Signature(function: .digest(digest, raw: false), arguments: 1, options: [])
            table[name + "_raw"] = Signature(function: .digest(digest, raw: true), arguments: 1, options: [])
            table["hmac_" + name] = Signature(function: .hmac(digest, raw: false), arguments: 2, options: [])
            table["hmac_" + name + "_raw"] = Signature(function: .hmac(digest, raw: true), arguments: 2, options: [])
            table["pbkdf2_" + name] = Signature(
                function: .pbkdf2(digest), arguments: 2,
                options: [("iterations", 1...100_000_000), ("length", 1...1024)])
        }
        let plain: [(String, HashFunction)] = [
            ("hex", .hex), ("unhex", .unhex), ("base64", .base64), ("unbase64", .unbase64), ("upper", .upper),
            ("lower", .lower), ("latin1", .latin1), ("utf16le", .utf16le), ("bcrypt", .bcrypt), ("stored", .stored),
        ]
        for (name, function) in plain { table[name] = Signature(function: function, arguments: 1, options: []) }
        table["md4"] = Signature(function: .md4(raw: false), arguments: 1, options: [])
        table["md4_raw"] = Signature(function: .md4(raw: true), arguments: 1, options: [])
        table["scrypt"] = Signature(
            function: .scrypt, arguments: 2,
            options: [("n", 2...(1 << 30)), ("r", 1...1024), ("p", 1...1024), ("length", 1...1024)])
        for variant in Argon2Variant.allCases {
            table[variant.rawValue] = Signature(
                function: .argon2(variant), arguments: 2,
                options: [("m", 8...(1 << 30)), ("t", 1...1_000_000), ("p", 1...256), ("length", 4...1024)])
        }
        return table
    }()
}
