/// phpass portable hashes `$P$` (WordPress, phpBB3 as `$H$`) — iterated MD5 — and
/// Drupal 7 `$S$` — iterated SHA-512 — plus Drupal's `U$S$` for passwords that were
/// MD5-hashed by Drupal 6 before the upgrade.
struct PHPassScheme: HashScheme {
    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        if hash.hasPrefix("$P$") { return try make(hash, scheme: "phpass", digest: .md5, limits: limits) }
        if hash.hasPrefix("$H$") { return try make(hash, scheme: "phpass-phpbb", digest: .md5, limits: limits) }
        if hash.hasPrefix("$S$") { return try make(hash, scheme: "drupal7", digest: .sha512, limits: limits) }
        if hash.hasPrefix("U$S$") {
            let inner = try make(String(hash.dropFirst()), scheme: "drupal7-md5", digest: .sha512, limits: limits)
            return PrehashedHash(inner: inner) { Array(Hex.encode(DigestAlgorithm.md5.digest($0)).utf8) }
        }
        return nil
    }

    private func make(_ hash: String, scheme: String, digest: DigestAlgorithm, limits: CostLimits) throws(HashError)
        -> any ParsedHash
    {
        let chars = Array(hash.utf8)
        // 3 prefix + 1 count + 8 salt + encoded digest (22 for MD5; Drupal keeps 43 of SHA-512's 86).
        let encodedLength = digest == .md5 ? 22 : 43
        guard chars.count == 12 + encodedLength, let log2 = Crypt64.index(of: chars[3]),
            chars[4...].allSatisfy(CryptScheme.isCrypt64)
        else {
            throw .malformed(
                scheme: scheme, reason: "expected prefix, count, 8-char salt and \(encodedLength)-char digest")
        }
        guard (7...30).contains(log2) else {
            throw .malformed(scheme: scheme, reason: "count 2^\(log2) is outside 2^7…2^30")
        }
        guard log2 <= limits.maxPHPassLog2 else {
            throw .overLimit(scheme: scheme, reason: "count 2^\(log2) exceeds the limit of 2^\(limits.maxPHPassLog2)")
        }
        let salt = Array(chars[4..<12])
        let setting = Array(chars[0..<12])
        let count = 1 << log2
        return DerivedKeyHash(
            scheme: scheme, parameters: [("digest", digest.rawValue), ("rounds", "2^\(log2)")],
            expected: Array(chars[12...]),
            derive: { password in
                var value = digest.digest(salt + password)
                for _ in 0..<count { value = digest.digest(value + password) }
                let encoded = Crypt64.encodeLinear(value, count: value.count)
                return Array((setting + encoded).dropFirst(12).prefix(encodedLength))
            })
    }
}

/// A hash checked after transforming the password first.
struct PrehashedHash: ParsedHash {
    let inner: any ParsedHash
    let transform: @Sendable ([UInt8]) -> [UInt8]

    var scheme: String { inner.scheme }
    var parameters: [(name: String, value: String)] { inner.parameters }
    func verify(_ password: [UInt8]) -> Bool { inner.verify(transform(password)) }
}
