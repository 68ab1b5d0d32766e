/// PBKDF2 in the spellings legacy stores use: passlib `$pbkdf2[-sha256|-sha512]$`,
/// Ory Kratos / Auth0 `$pbkdf2-<digest>$i=N,l=L$`, Django `pbkdf2_sha256$` and
/// `pbkdf2_sha1$`, Werkzeug `pbkdf2:<digest>:N$`, Atlassian `{PKCS5S2}`, LDAP
/// `{PBKDF2[-SHA1|-SHA256|-SHA512]}`, Spring `{pbkdf2}`.
struct PBKDF2Scheme: HashScheme {
    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        if hash.hasPrefix("$pbkdf2") { return try parseModular(hash, limits: limits) }
        if hash.hasPrefix("pbkdf2_sha256$") { return try parseDjango(hash, digest: .sha256, limits: limits) }
        if hash.hasPrefix("pbkdf2_sha1$") { return try parseDjango(hash, digest: .sha1, limits: limits) }
        if hash.hasPrefix("pbkdf2:") { return try parseWerkzeug(hash, limits: limits) }
        if hash.hasPrefix("{PKCS5S2}") { return try parseAtlassian(hash) }
        // Spring's lower-case id first: LDAP scheme tags are case-insensitive.
        if hash.hasPrefix("{pbkdf2}") { return try parseSpring(hash) }
        if hash.uppercased().hasPrefix("{PBKDF2") { return try parseLDAP(hash, limits: limits) }
        return nil
    }

    static func make(
        scheme: String, digest: DigestAlgorithm, iterations: Int, salt: [UInt8], expected: [UInt8]
    ) -> any ParsedHash {
        DerivedKeyHash(
            scheme: scheme,
            parameters: [
                ("digest", digest.rawValue), ("iterations", String(iterations)), ("salt_bytes", String(salt.count)),
                ("key_bytes", String(expected.count)),
            ],
            expected: expected,
            derive: { digest.pbkdf2(password: $0, salt: salt, iterations: iterations, keyLength: expected.count) })
    }

    private static func digest(named name: Substring) -> DigestAlgorithm? {
        switch name.lowercased() {
        case "", "sha1": return .sha1
        case "sha256": return .sha256
        case "sha512": return .sha512
        case "sha384": return .sha384
        case "sha224": return .sha224
        case "md5": return .md5
        default: return nil
        }
    }

    private func parseModular(_ hash: String, limits: CostLimits) throws(HashError) -> any ParsedHash {
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        let name = parts.count > 1 ? parts[1] : ""
        let digestName = name.hasPrefix("pbkdf2-") ? name.dropFirst("pbkdf2-".count) : ""
        guard name == "pbkdf2" || name.hasPrefix("pbkdf2-"), let digest = Self.digest(named: digestName) else {
            throw .unsupported("no known PBKDF2 digest in `$\(name)$`")
        }
        guard parts.count == 5 else {
            throw .malformed(scheme: "pbkdf2", reason: "expected $\(name)$<iterations>$<salt>$<key>")
        }
        if parts[2].hasPrefix("i=") {
            // Ory Kratos / Auth0: i=<iterations>,l=<key length>, standard base64.
            let scheme = "kratos-\(name)"
            var iterations: Int?
            var length: Int?
            for field in parts[2].split(separator: ",") {
                if field.hasPrefix("i=") {
                    iterations = Int(field.dropFirst(2))
                } else if field.hasPrefix("l=") {
                    length = Int(field.dropFirst(2))
                } else {
                    throw .malformed(scheme: scheme, reason: "unknown parameter in i=…,l=…")
                }
            }
            guard let iterations, let salt = Base64Alphabet.standard.decode(parts[3]),
                let key = Base64Alphabet.standard.decode(parts[4]), !key.isEmpty
            else {
                throw .malformed(scheme: scheme, reason: "expected i=N,l=L then base64 salt and key")
            }
            if let length, length != key.count {
                throw .malformed(scheme: scheme, reason: "l=\(length) does not match a \(key.count)-byte key")
            }
            try limits.checkIterations(iterations, scheme: scheme)
            return Self.make(scheme: scheme, digest: digest, iterations: iterations, salt: salt, expected: key)
        }
        let scheme = "passlib-\(name)"
        guard let iterations = Int(parts[2]), let salt = Base64Alphabet.passlib.decode(parts[3]),
            let key = Base64Alphabet.passlib.decode(parts[4]), key.count == digest.byteCount
        else {
            throw .malformed(
                scheme: scheme, reason: "expected <iterations>$<ab64 salt>$<ab64 key of \(digest.byteCount) bytes>")
        }
        try limits.checkIterations(iterations, scheme: scheme)
        return Self.make(scheme: scheme, digest: digest, iterations: iterations, salt: salt, expected: key)
    }

    /// `pbkdf2_sha256$<iterations>$<salt text>$<base64 key>`.
    private func parseDjango(_ hash: String, digest: DigestAlgorithm, limits: CostLimits) throws(HashError)
        -> any ParsedHash
    {
        let scheme = "django-pbkdf2-\(digest.rawValue)"
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, let iterations = Int(parts[1]), !parts[2].isEmpty,
            let key = Base64Alphabet.standard.decode(parts[3]), key.count == digest.byteCount
        else {
            throw .malformed(scheme: scheme, reason: "expected <iterations>$<salt>$<base64 key>")
        }
        try limits.checkIterations(iterations, scheme: scheme)
        return Self.make(
            scheme: scheme, digest: digest, iterations: iterations, salt: Array(parts[2].utf8), expected: key)
    }

    /// `pbkdf2:<digest>[:<iterations>]$<salt text>$<hex key>`.
    private func parseWerkzeug(_ hash: String, limits: CostLimits) throws(HashError) -> any ParsedHash {
        let scheme = "werkzeug-pbkdf2"
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        let method = parts[0].split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, method.count == 3, let digest = Self.digest(named: method[1]), !method[1].isEmpty,
            let iterations = Int(method[2]), let key = Hex.decode(parts[2]), key.count == digest.byteCount
        else {
            throw .malformed(scheme: scheme, reason: "expected pbkdf2:<digest>:<iterations>$<salt>$<hex key>")
        }
        try limits.checkIterations(iterations, scheme: scheme)
        return Self.make(
            scheme: "werkzeug-pbkdf2-\(digest.rawValue)", digest: digest, iterations: iterations,
            salt: Array(parts[1].utf8), expected: key)
    }

    /// `{PKCS5S2}` + base64(16-byte salt + 32-byte key), PBKDF2-HMAC-SHA1, 10,000 iterations.
    private func parseAtlassian(_ hash: String) throws(HashError) -> any ParsedHash {
        guard let bytes = Base64Alphabet.standard.decode(hash.dropFirst("{PKCS5S2}".count)), bytes.count == 48 else {
            throw .malformed(scheme: "atlassian-pkcs5s2", reason: "expected base64 of a 16-byte salt and a 32-byte key")
        }
        return Self.make(
            scheme: "atlassian-pkcs5s2", digest: .sha1, iterations: 10_000, salt: Array(bytes[0..<16]),
            expected: Array(bytes[16...]))
    }

    /// `{PBKDF2-SHA256}<iterations>$<ab64 salt>$<ab64 key>` (OpenLDAP pw-pbkdf2, passlib ldap_pbkdf2_*).
    private func parseLDAP(_ hash: String, limits: CostLimits) throws(HashError) -> any ParsedHash {
        guard let close = hash.firstIndex(of: "}") else { throw .unsupported("unterminated LDAP scheme tag") }
        let tag = hash[hash.index(after: hash.startIndex)..<close].uppercased()
        let digestName = tag == "PBKDF2" ? "sha1" : tag.replacingOccurrences(of: "PBKDF2-", with: "")
        guard let digest = Self.digest(named: Substring(digestName)) else {
            throw .unsupported("no known PBKDF2 digest in {\(tag)}")
        }
        let scheme = "ldap-pbkdf2-\(digest.rawValue)"
        let parts = hash[hash.index(after: close)...].split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 3, let iterations = Int(parts[0]), let salt = Base64Alphabet.passlib.decode(parts[1]),
            let key = Base64Alphabet.passlib.decode(parts[2]), !key.isEmpty
        else {
            throw .malformed(scheme: scheme, reason: "expected <iterations>$<ab64 salt>$<ab64 key>")
        }
        try limits.checkIterations(iterations, scheme: scheme)
        return Self.make(scheme: scheme, digest: digest, iterations: iterations, salt: salt, expected: key)
    }

    /// Spring Security `Pbkdf2PasswordEncoder`: hex(salt + key), parameters from
    /// the encoder's defaults. 5.8+ defaults: 16-byte salt, HMAC-SHA256, 310,000
    /// iterations; earlier defaults: 8-byte salt, HMAC-SHA1, 185,000 iterations.
    private func parseSpring(_ hash: String) throws(HashError) -> any ParsedHash {
        guard let bytes = Hex.decode(hash.dropFirst("{pbkdf2}".count)) else {
            throw .malformed(scheme: "spring-pbkdf2", reason: "expected hex of salt and key")
        }
        switch bytes.count {
        case 48:
            return Self.make(
                scheme: "spring-pbkdf2", digest: .sha256, iterations: 310_000, salt: Array(bytes[0..<16]),
                expected: Array(bytes[16...]))
        case 40:
            return Self.make(
                scheme: "spring-pbkdf2-v5.5", digest: .sha1, iterations: 185_000, salt: Array(bytes[0..<8]),
                expected: Array(bytes[8...]))
        default:
            throw .malformed(
                scheme: "spring-pbkdf2",
                reason: "\(bytes.count) bytes match neither the 5.8 (48) nor the 5.5 (40) defaults")
        }
    }
}
