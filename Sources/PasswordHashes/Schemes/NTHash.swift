/// The NT hash (MD4 of the UTF-16LE password), as FreeBSD's crypt stores it
/// (`$3$$` and 32 lowercase hex digits) and John the Ripper prints it (`$NT$`).
/// A bare 32-digit hex string is MD5's shape too; for a `sambaNTPassword`
/// column describe it with `[legacy.hash] expression = "md4(utf16le(PASSWORD))"`.
struct NTHashScheme: HashScheme {
    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        let digest: Substring
        if hash.hasPrefix("$3$$") {
            digest = hash.dropFirst(4)
        } else if hash.hasPrefix("$NT$") {
            digest = hash.dropFirst(4)
        } else {
            return nil
        }
        guard digest.utf8.count == 32, let expected = Hex.decode(digest) else {
            throw .malformed(scheme: "nthash", reason: "expected 32 hex digits")
        }
        return DerivedKeyHash(
            scheme: "nthash", parameters: [], expected: expected,
            derive: { MD4.ntHash($0) ?? [] })
    }
}
