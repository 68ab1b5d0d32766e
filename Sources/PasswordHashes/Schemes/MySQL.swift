/// MySQL's own password column: `mysql_native_password` (`*` and 40 upper-case
/// hex digits, SHA-1 of SHA-1) and the pre-4.1 `OLD_PASSWORD()` (16 hex
/// digits), which old PHP applications copied into their user tables.
struct MySQLScheme: HashScheme {
    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        if hash.hasPrefix("*") {
            guard hash.utf8.count == 41, let expected = Hex.decode(hash.dropFirst()) else {
                throw .malformed(scheme: "mysql41", reason: "expected * and 40 hex digits")
            }
            return DerivedKeyHash(
                scheme: "mysql41", parameters: [], expected: expected,
                derive: { DigestAlgorithm.sha1.digest(DigestAlgorithm.sha1.digest($0)) })
        }
        guard hash.utf8.count == 16, let expected = Hex.decode(hash) else { return nil }
        return DerivedKeyHash(scheme: "mysql323", parameters: [], expected: expected, derive: Self.oldPassword)
    }

    /// MySQL 3.23's scramble: two 31-bit accumulators over the password's
    /// bytes, skipping spaces and tabs as MySQL did.
    static func oldPassword(_ password: [UInt8]) -> [UInt8] {
        var nr: UInt32 = 1_345_345_333
        var nr2: UInt32 = 0x1234_5671
        var add: UInt32 = 7
        for byte in password where byte != 0x20 && byte != 0x09 {
            let value = UInt32(byte)
            nr ^= ((nr & 63) &+ add) &* value &+ (nr << 8)
            nr2 = nr2 &+ ((nr2 << 8) ^ nr)
            add = add &+ value
        }
        let first = nr & 0x7fff_ffff
        let second = nr2 & 0x7fff_ffff
        return [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: first >> $0) }
            + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: second >> $0) }
    }
}
