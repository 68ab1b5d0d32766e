/// PostgreSQL's `pg_authid.rolpassword` under `password_encryption =
/// 'scram-sha-256'`: `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`
/// (RFC 5802, RFC 7677). The password is checked by deriving the client key and
/// comparing its SHA-256 with StoredKey, as the server does during SCRAM.
struct PostgresSCRAMScheme: HashScheme {
    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        guard hash.hasPrefix("SCRAM-SHA-256$") else { return nil }
        let scheme = "postgres-scram-sha256"
        let reason = "expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, base64"
        let parts = hash.dropFirst("SCRAM-SHA-256$".count).split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .malformed(scheme: scheme, reason: reason) }
        let setting = parts[0].split(separator: ":", omittingEmptySubsequences: false)
        let keys = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        let b64 = Base64Alphabet.standard
        guard setting.count == 2, keys.count == 2, let iterations = Int(setting[0]), let salt = b64.decode(setting[1]),
            !salt.isEmpty, let storedKey = b64.decode(keys[0]), storedKey.count == 32,
            let serverKey = b64.decode(keys[1]),
            serverKey.count == 32
        else { throw .malformed(scheme: scheme, reason: reason) }
        try limits.checkIterations(iterations, scheme: scheme)
        return DerivedKeyHash(
            scheme: scheme, parameters: [("iterations", String(iterations))], expected: storedKey,
            derive: { password in
                let salted = DigestAlgorithm.sha256.pbkdf2(
                    password: SASLprep.prepare(password), salt: salt, iterations: iterations, keyLength: 32)
                let clientKey = DigestAlgorithm.sha256.hmac(key: salted, Array("Client Key".utf8))
                return DigestAlgorithm.sha256.digest(clientKey)
            })
    }
}
