/// scrypt (RFC 7914) in passlib `$scrypt$ln=…`, Django `scrypt$` and Werkzeug
/// `scrypt:N:r:p$` forms, and Firebase's modified scrypt.
struct ScryptScheme: HashScheme {
    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        if hash.hasPrefix("$scrypt$") { return try parsePasslib(hash, limits: limits) }
        if hash.hasPrefix("scrypt$") { return try parseDjango(hash, limits: limits) }
        if hash.hasPrefix("scrypt:") { return try parseWerkzeug(hash, limits: limits) }
        if hash.hasPrefix("$firescrypt$") { return try parseFirebase(hash, limits: limits) }
        return nil
    }

    static func checkCost(n: Int, r: Int, p: Int, scheme: String, limits: CostLimits) throws(HashError) {
        guard n > 1, n & (n - 1) == 0, r >= 1, p >= 1 else {
            throw .malformed(scheme: scheme, reason: "N must be a power of two above 1, r and p at least 1")
        }
        // r and N come from the stored text: each product may overflow.
        let (block, blockOverflow) = 128.multipliedReportingOverflow(by: r)
        let (memory, overflow) = block.multipliedReportingOverflow(by: n)
        guard !blockOverflow, !overflow, memory <= limits.maxScryptMemory, p <= limits.maxScryptParallelism else {
            throw .overLimit(
                scheme: scheme,
                reason:
                    "N=\(n), r=\(r), p=\(p) exceed the limits (\(limits.maxScryptMemory >> 20) MiB, p ≤ \(limits.maxScryptParallelism))"
            )
        }
    }

    static func make(scheme: String, n: Int, r: Int, p: Int, salt: [UInt8], expected: [UInt8]) -> any ParsedHash {
        DerivedKeyHash(
            scheme: scheme,
            parameters: [("N", String(n)), ("r", String(r)), ("p", String(p)), ("key_bytes", String(expected.count))],
            expected: expected,
            derive: {
                scryptDerive(
                    password: $0, salt: salt, n: UInt64(n), r: UInt64(r), p: UInt64(p), keyLength: expected.count)
                    ?? []
            })
    }

    /// `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<key>`, base64 without padding
    /// (passlib writes the standard alphabet; some exporters use passlib's `.` for `+`).
    private func parsePasslib(_ hash: String, limits: CostLimits) throws(HashError) -> any ParsedHash {
        let scheme = "passlib-scrypt"
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, let params = Self.namedParameters(parts[2]), let ln = params["ln"], let r = params["r"],
            let p = params["p"], ln < 40, let salt = Self.decodeEither(parts[3]), let key = Self.decodeEither(parts[4]),
            !key.isEmpty
        else {
            throw .malformed(scheme: scheme, reason: "expected $scrypt$ln=N,r=R,p=P$<base64 salt>$<base64 key>")
        }
        try Self.checkCost(n: 1 << ln, r: r, p: p, scheme: scheme, limits: limits)
        return Self.make(scheme: scheme, n: 1 << ln, r: r, p: p, salt: salt, expected: key)
    }

    static func decodeEither(_ text: Substring) -> [UInt8]? {
        Base64Alphabet.standard.decode(text) ?? Base64Alphabet.passlib.decode(text)
    }

    /// `scrypt$<N>$<salt>$<r>$<p>$<base64 key>` (Django ≥ 4.0, 64-byte key).
    private func parseDjango(_ hash: String, limits: CostLimits) throws(HashError) -> any ParsedHash {
        let scheme = "django-scrypt"
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, let n = Int(parts[1]), !parts[2].isEmpty, let r = Int(parts[3]), let p = Int(parts[4]),
            let key = Base64Alphabet.standard.decode(parts[5]), !key.isEmpty
        else {
            throw .malformed(scheme: scheme, reason: "expected scrypt$<N>$<salt>$<r>$<p>$<base64 key>")
        }
        try Self.checkCost(n: n, r: r, p: p, scheme: scheme, limits: limits)
        return Self.make(scheme: scheme, n: n, r: r, p: p, salt: Array(parts[2].utf8), expected: key)
    }

    /// `scrypt:<N>:<r>:<p>$<salt>$<hex key>` (Werkzeug ≥ 3.0, 64-byte key).
    private func parseWerkzeug(_ hash: String, limits: CostLimits) throws(HashError) -> any ParsedHash {
        let scheme = "werkzeug-scrypt"
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        let method = parts[0].split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, method.count == 4, let n = Int(method[1]), let r = Int(method[2]),
            let p = Int(method[3]),
            let key = Hex.decode(parts[2]), !key.isEmpty
        else {
            throw .malformed(scheme: scheme, reason: "expected scrypt:<N>:<r>:<p>$<salt>$<hex key>")
        }
        try Self.checkCost(n: n, r: r, p: p, scheme: scheme, limits: limits)
        return Self.make(scheme: scheme, n: n, r: r, p: p, salt: Array(parts[1].utf8), expected: key)
    }

    /// `$firescrypt$ln=<mem_cost>,r=<rounds>,p=1$<salt>$<hash>$<salt separator>$<signer key>`,
    /// all base64. Firebase derives a 32-byte key with scrypt over salt ‖ separator
    /// and uses it to AES-256-CTR-encrypt the project's signer key.
    private func parseFirebase(_ hash: String, limits: CostLimits) throws(HashError) -> any ParsedHash {
        let scheme = "firebase-scrypt"
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 7, let params = Self.namedParameters(parts[2]), let ln = params["ln"], let r = params["r"],
            ln < 40, let salt = Base64Alphabet.standard.decode(parts[3]),
            let expected = Base64Alphabet.standard.decode(parts[4]), !expected.isEmpty,
            let separator = Base64Alphabet.standard.decode(parts[5]),
            let signerKey = Base64Alphabet.standard.decode(parts[6]), !signerKey.isEmpty
        else {
            throw .malformed(
                scheme: scheme,
                reason: "expected $firescrypt$ln=N,r=R,p=1$<salt>$<hash>$<separator>$<signer key> in base64")
        }
        let p = params["p"] ?? 1
        try Self.checkCost(n: 1 << ln, r: r, p: p, scheme: scheme, limits: limits)
        let n = UInt64(1) << UInt64(ln)
        return DerivedKeyHash(
            scheme: scheme, parameters: [("N", String(n)), ("r", String(r)), ("p", String(p))], expected: expected,
            derive: { password in
                guard
                    let key = scryptDerive(
                        password: password, salt: salt + separator, n: n, r: UInt64(r), p: UInt64(p), keyLength: 32)
                else { return [] }
                return Array(aes256CTR(key: key, signerKey).prefix(expected.count))
            })
    }

    /// `ln=16,r=8,p=1` → ["ln": 16, "r": 8, "p": 1]; nil on anything else.
    static func namedParameters(_ text: Substring) -> [String: Int]? {
        var values: [String: Int] = [:]
        for field in text.split(separator: ",") {
            let pair = field.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, let value = Int(pair[1]), value >= 0, values[String(pair[0])] == nil else {
                return nil
            }
            values[String(pair[0])] = value
        }
        return values
    }
}
