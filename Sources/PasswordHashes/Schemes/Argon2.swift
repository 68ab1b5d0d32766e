/// Argon2 PHC strings `$argon2id$`, `$argon2i$`, `$argon2d$` with `v=19`, `v=16`
/// or no version (the reference implementation reads a missing version as 16),
/// and Django's `argon2$` prefix.
struct Argon2Scheme: HashScheme {
    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        if hash.hasPrefix("argon2$argon2") {
            return try parsePHC(String(hash.dropFirst("argon2".count)), scheme: "django-argon2", limits: limits)
        }
        guard hash.hasPrefix("$argon2") else { return nil }
        return try parsePHC(hash, scheme: nil, limits: limits)
    }

    private func parsePHC(_ hash: String, scheme fixedScheme: String?, limits: CostLimits) throws(HashError)
        -> any ParsedHash
    {
        var parts = hash.split(separator: "$", omittingEmptySubsequences: false).dropFirst()
        guard let name = parts.first, let variant = Argon2Variant(rawValue: String(name)) else {
            throw .unsupported("unknown Argon2 variant")
        }
        let scheme = fixedScheme ?? variant.rawValue
        parts = parts.dropFirst()
        var version: UInt32 = 0x10
        if let first = parts.first, first.hasPrefix("v=") {
            switch first {
            case "v=19": version = 0x13
            case "v=16": version = 0x10
            default: throw .malformed(scheme: scheme, reason: "version must be v=19 or v=16")
            }
            parts = parts.dropFirst()
        }
        // PHC's base64 has no padding; the reference library refuses a `=`.
        guard parts.count != 3 || !parts.dropFirst().contains(where: { $0.contains("=") }) else {
            throw .malformed(scheme: scheme, reason: "salt and hash are unpadded base64 (no `=`)")
        }
        guard parts.count == 3, let fields = Self.parameters(parts.first!), let m = fields["m"], let t = fields["t"],
            let p = fields["p"], let salt = Base64Alphabet.standard.decode(parts.dropFirst().first!),
            let tag = Base64Alphabet.standard.decode(parts.last!)
        else {
            throw .malformed(scheme: scheme, reason: "expected [v=N$]m=M,t=T,p=P$<base64 salt>$<base64 hash>")
        }
        guard salt.count >= 8, tag.count >= 4, p >= 1, t >= 1, m >= 8 * p else {
            throw .malformed(scheme: scheme, reason: "needs salt ≥ 8 bytes, hash ≥ 4 bytes, t ≥ 1, p ≥ 1, m ≥ 8·p")
        }
        guard m <= limits.maxArgon2MemoryKiB, t <= limits.maxArgon2Iterations, p <= limits.maxArgon2Parallelism else {
            throw .overLimit(
                scheme: scheme,
                reason:
                    "m=\(m), t=\(t), p=\(p) exceed the limits (m ≤ \(limits.maxArgon2MemoryKiB), t ≤ \(limits.maxArgon2Iterations), p ≤ \(limits.maxArgon2Parallelism))"
            )
        }
        let parameters = Argon2Parameters(
            variant: variant, version: version, memoryKiB: UInt32(m), iterations: UInt32(t), parallelism: UInt32(p))
        return DerivedKeyHash(
            scheme: scheme,
            parameters: [
                ("variant", variant.rawValue), ("version", version == 0x13 ? "19" : "16"), ("m", String(m)),
                ("t", String(t)), ("p", String(p)),
            ],
            expected: tag,
            derive: { parameters.derive(password: $0, salt: salt, length: tag.count) ?? [] })
    }

    /// `m=65536,t=3,p=4` (extra `keyid`/`data` fields are not supported).
    private static func parameters(_ text: Substring) -> [String: Int]? {
        guard let values = ScryptScheme.namedParameters(text), Set(values.keys) == ["m", "t", "p"] else { return nil }
        guard values.values.allSatisfy({ $0 <= Int(UInt32.max) }) else { return nil }
        return values
    }
}
