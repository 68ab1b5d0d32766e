/// RFC 2307 userPassword digests: `{MD5}` `{SMD5}` `{SHA}` `{SSHA}` `{SHA256}`
/// `{SSHA256}` `{SHA384}` `{SSHA384}` `{SHA512}` `{SSHA512}`: base64 of the digest,
/// salted forms appending any length of salt after it (digest over password ‖ salt).
/// `{CRYPT}` wraps a crypt(3) hash, `{ARGON2}` (OpenLDAP's argon2 module) a PHC
/// Argon2 string. Spring's `{ldap}` prefix is accepted in front.
struct LDAPDigestScheme: HashScheme {
    let wrapped: [any HashScheme]

    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        var text = Substring(hash)
        if text.hasPrefix("{ldap}") { text = text.dropFirst("{ldap}".count) }
        guard text.hasPrefix("{"), let close = text.firstIndex(of: "}") else { return nil }
        let tag = text[text.index(after: text.startIndex)..<close].uppercased()
        let body = text[text.index(after: close)...]
        if tag == "CRYPT" {
            for scheme in wrapped {
                if let inner = try scheme.parse(String(body), limits: limits) {
                    return RelabeledHash(scheme: "ldap-crypt", inner: inner)
                }
            }
            throw .malformed(scheme: "ldap-crypt", reason: "{CRYPT} wraps no known crypt(3) format")
        }
        if tag == "ARGON2" {
            guard let inner = try Argon2Scheme().parse(String(body), limits: limits) else {
                throw .malformed(scheme: "ldap-argon2", reason: "{ARGON2} wraps no PHC Argon2 string")
            }
            return RelabeledHash(scheme: "ldap-argon2", inner: inner)
        }
        let digests: [String: DigestAlgorithm] = [
            "MD5": .md5, "SHA": .sha1, "SHA256": .sha256, "SHA384": .sha384, "SHA512": .sha512,
        ]
        let salted = tag.hasPrefix("S") && digests[String(tag.dropFirst())] != nil
        guard let digest = digests[salted ? String(tag.dropFirst()) : tag] else { return nil }
        let scheme = "ldap-\(tag.lowercased())"
        guard let bytes = Base64Alphabet.standard.decode(body) else {
            // Not base64: Spring's {MD5}/{sha256} hex forms share these tags.
            return nil
        }
        if salted {
            guard bytes.count > digest.byteCount else {
                throw .malformed(
                    scheme: scheme, reason: "expected a \(digest.byteCount)-byte digest followed by a salt")
            }
            let salt = Array(bytes[digest.byteCount...])
            return DerivedKeyHash(
                scheme: scheme, parameters: [("digest", digest.rawValue), ("salt_bytes", String(salt.count))],
                expected: Array(bytes[0..<digest.byteCount]), derive: { digest.digest($0 + salt) })
        }
        guard bytes.count == digest.byteCount else { return nil }
        return DerivedKeyHash(
            scheme: scheme, parameters: [("digest", digest.rawValue)], expected: bytes, derive: { digest.digest($0) })
    }
}
