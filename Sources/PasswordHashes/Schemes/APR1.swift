/// Apache's `$apr1$`: md5-crypt with a different magic string. libxcrypt does not
/// implement it, so the algorithm (Poul-Henning Kamp's md5-crypt) lives here.
struct APR1Scheme: HashScheme {
    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        guard hash.hasPrefix("$apr1$") else { return nil }
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[2].utf8.count <= 8, parts[3].utf8.count == 22,
            parts[3].utf8.allSatisfy(CryptScheme.isCrypt64)
        else {
            throw .malformed(scheme: "apr1", reason: "expected $apr1$<salt up to 8>$<22-char digest>")
        }
        let salt = Array(parts[2].utf8)
        return DerivedKeyHash(
            scheme: "apr1", parameters: [("rounds", "1000")], expected: Array(parts[3].utf8),
            derive: { Self.digest(password: $0, salt: salt, magic: Array("$apr1$".utf8)) })
    }

    /// The 22-character md5-crypt digest for `password` and `salt`.
    static func digest(password: [UInt8], salt: [UInt8], magic: [UInt8]) -> [UInt8] {
        let md5 = DigestAlgorithm.md5
        var alternate = md5.digest(password + salt + password)
        var context = password + magic + salt
        var remaining = password.count
        while remaining > 0 {
            context += alternate.prefix(min(remaining, 16))
            remaining -= 16
        }
        var bits = password.count
        while bits > 0 {
            context.append(bits & 1 == 1 ? 0 : (password.first ?? 0))
            bits >>= 1
        }
        var final = md5.digest(context)
        for round in 0..<1000 {
            var block: [UInt8] = round & 1 == 1 ? password : final
            if round % 3 != 0 { block += salt }
            if round % 7 != 0 { block += password }
            block += round & 1 == 1 ? final : password
            final = md5.digest(block)
        }
        alternate = final
        var out: [UInt8] = []
        for (a, b, c) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
            out += Crypt64.encodeGroup(alternate[a], alternate[b], alternate[c], characters: 4)
        }
        out += Crypt64.encodeGroup(0, 0, alternate[11], characters: 2)
        return out
    }
}
