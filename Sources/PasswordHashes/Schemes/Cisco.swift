/// Cisco IOS type 8 (`$8$`, PBKDF2-HMAC-SHA256, 20000 iterations) and type 9
/// (`$9$`, scrypt N=16384 r=1 p=1): a 14-character salt used as text, and a
/// 32-byte key in base64 with the crypt alphabet `./0-9A-Za-z`.
struct CiscoScheme: HashScheme {
    static let alphabet = Base64Alphabet("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        let type8 = hash.hasPrefix("$8$")
        guard type8 || hash.hasPrefix("$9$") else { return nil }
        let scheme = type8 ? "cisco-type8" : "cisco-type9"
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[2].utf8.count == 14, parts[3].utf8.count == 43,
            let expected = Self.alphabet.decode(parts[3]), expected.count == 32
        else { throw .malformed(scheme: scheme, reason: "expected $\(type8 ? 8 : 9)$<14-char salt>$<43-char key>") }
        let salt = Array(parts[2].utf8)
        if type8 {
            try limits.checkIterations(20_000, scheme: scheme)
            return DerivedKeyHash(
                scheme: scheme, parameters: [("iterations", "20000")], expected: expected,
                derive: {
                    DigestAlgorithm.sha256.pbkdf2(password: $0, salt: salt, iterations: 20_000, keyLength: 32)
                })
        }
        try ScryptScheme.checkCost(n: 16384, r: 1, p: 1, scheme: scheme, limits: limits)
        return ScryptScheme.make(scheme: scheme, n: 16384, r: 1, p: 1, salt: salt, expected: expected)
    }
}
