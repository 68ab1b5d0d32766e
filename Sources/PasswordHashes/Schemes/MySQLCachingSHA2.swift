/// MySQL 8's `caching_sha2_password`: SHA-256 crypt with a 20-byte salt and
/// 1000 × N rounds (N in hex). Read as `mysql.user.authentication_string`
/// holds it (`$A$005$`, the salt's raw bytes, 43 characters) or as hashcat
/// and `SELECT … HEX(…)` exports print it (`$mysql$A$005*SALTHEX*DIGESTHEX`),
/// since the raw salt is often unprintable.
struct MySQLCachingSHA2Scheme: HashScheme {
    static let saltLength = 20
    static let digestLength = 43

    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        let bytes = Array(hash.utf8)
        let salt: [UInt8]
        let digest: [UInt8]
        let count: Substring
        if hash.hasPrefix("$mysql$A$") {
            let parts = hash.dropFirst("$mysql$A$".count).split(separator: "*", omittingEmptySubsequences: false)
            guard parts.count == 3, let saltBytes = Hex.decode(parts[1]), saltBytes.count == Self.saltLength,
                let digestBytes = Hex.decode(parts[2]), digestBytes.count == Self.digestLength
            else {
                throw .malformed(scheme: "mysql-caching-sha2", reason: "expected $mysql$A$NNN*40 hex*86 hex")
            }
            (count, salt, digest) = (parts[0], saltBytes, digestBytes)
        } else if hash.hasPrefix("$A$") {
            guard bytes.count == 7 + Self.saltLength + Self.digestLength, bytes[6] == UInt8(ascii: "$") else {
                throw .malformed(
                    scheme: "mysql-caching-sha2", reason: "expected $A$NNN$, a 20-byte salt and 43 characters")
            }
            count = hash.dropFirst(3).prefix(3)
            salt = Array(bytes[7..<(7 + Self.saltLength)])
            digest = Array(bytes[(7 + Self.saltLength)...])
        } else {
            return nil
        }
        guard count.count == 3, let thousands = Int(count, radix: 16), thousands > 0 else {
            throw .malformed(scheme: "mysql-caching-sha2", reason: "the round count must be 3 hex digits, not zero")
        }
        guard digest.allSatisfy({ Crypt64.index(of: $0) != nil }) else {
            throw .malformed(scheme: "mysql-caching-sha2", reason: "the digest is not in crypt's ./0-9A-Za-z alphabet")
        }
        let rounds = thousands * 1000
        guard rounds <= limits.maxIterations else {
            throw .overLimit(
                scheme: "mysql-caching-sha2", reason: "\(rounds) rounds exceed max_iterations \(limits.maxIterations)")
        }
        return DerivedKeyHash(
            scheme: "mysql-caching-sha2", parameters: [("rounds", String(rounds))], expected: digest,
            derive: { SHA256Crypt.digest(password: $0, salt: salt, rounds: rounds) })
    }
}
