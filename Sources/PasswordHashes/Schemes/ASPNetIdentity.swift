/// ASP.NET Identity `PasswordHasher` formats, stored as base64:
/// V2 = 0x00 ‖ salt(16) ‖ subkey(32), PBKDF2-HMAC-SHA1 with 1,000 iterations;
/// V3 = 0x01 ‖ PRF(u32) ‖ iterations(u32) ‖ salt length(u32) ‖ salt ‖ subkey,
/// integers big-endian, PRF 0 = SHA-1, 1 = SHA-256, 2 = SHA-512.
struct ASPNetIdentityScheme: HashScheme {
    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        // Base64 of a 0x00 or 0x01 leading byte starts with "A".
        // The shortest V3 payload (16-byte salt, 16-byte subkey) is 45 bytes: 60 characters.
        guard hash.hasPrefix("A"), hash.utf8.count >= 60, hash.utf8.count % 4 == 0,
            let bytes = Base64Alphabet.standard.decode(hash)
        else { return nil }
        if bytes[0] == 0x00 {
            guard bytes.count == 49 else { return nil }
            return PBKDF2Scheme.make(
                scheme: "aspnet-identity-v2", digest: .sha1, iterations: 1000, salt: Array(bytes[1..<17]),
                expected: Array(bytes[17...]))
        }
        guard bytes[0] == 0x01, bytes.count >= 13 + 16 else { return nil }
        let scheme = "aspnet-identity-v3"
        func u32(_ offset: Int) -> Int {
            Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
                | Int(bytes[offset + 3])
        }
        let prf = u32(1)
        let iterations = u32(5)
        let saltLength = u32(9)
        let digest: DigestAlgorithm
        switch prf {
        case 0: digest = .sha1
        case 1: digest = .sha256
        case 2: digest = .sha512
        default: throw .malformed(scheme: scheme, reason: "unknown PRF \(prf)")
        }
        guard saltLength >= 16, 13 + saltLength + 16 <= bytes.count else {
            throw .malformed(scheme: scheme, reason: "salt length \(saltLength) does not fit the payload")
        }
        try limits.checkIterations(iterations, scheme: scheme)
        return PBKDF2Scheme.make(
            scheme: scheme, digest: digest, iterations: iterations, salt: Array(bytes[13..<(13 + saltLength)]),
            expected: Array(bytes[(13 + saltLength)...]))
    }
}
