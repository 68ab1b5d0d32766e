/// Plain and salted digests that older frameworks wrote: Django's legacy
/// `sha1$salt$hex`, `md5$salt$hex`, unsalted `md5$$hex`, `sha1$$hex` and
/// `crypt$$…`; Spring's `{MD5}`, `{SHA-1}`, `{SHA-256}` (MessageDigestPasswordEncoder,
/// hex with an optional `{salt}` prefix), `{sha256}` (StandardPasswordEncoder) and
/// `{noop}` (plaintext, only when allowed).
struct SaltedDigestScheme: HashScheme {
    var allowPlaintext: Bool

    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        if hash.hasPrefix("{noop}") {
            guard allowPlaintext else {
                throw .unsupported("Spring {noop} is a plaintext password; enable legacy.allow_plaintext to accept it")
            }
            let stored = Array(hash.utf8.dropFirst("{noop}".count))
            return DerivedKeyHash(scheme: "spring-noop", parameters: [], expected: stored, derive: { $0 })
        }
        if let spring = try parseSpring(hash) { return spring }
        return try parseDjango(hash, limits: limits)
    }

    private func parseDjango(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 3, ["sha1", "md5", "crypt"].contains(parts[0]) else { return nil }
        if parts[0] == "crypt" {
            guard parts[1].isEmpty || parts[1].utf8.count == 2,
                let inner = try CryptScheme().parse(String(parts[2]), limits: limits), inner.scheme == "des-crypt"
            else {
                throw .malformed(scheme: "django-crypt", reason: "expected crypt$$<13-char DES crypt>")
            }
            return RelabeledHash(scheme: "django-crypt", inner: inner)
        }
        let digest: DigestAlgorithm = parts[0] == "sha1" ? .sha1 : .md5
        let salted = !parts[1].isEmpty
        let scheme = "django-\(salted ? "salted" : "unsalted")-\(digest.rawValue)"
        guard let expected = Hex.decode(parts[2]), expected.count == digest.byteCount else {
            throw .malformed(scheme: scheme, reason: "expected \(digest.byteCount * 2) hex characters")
        }
        let salt = Array(parts[1].utf8)
        return DerivedKeyHash(
            scheme: scheme, parameters: [("digest", digest.rawValue)], expected: expected,
            derive: { digest.digest(salt + $0) })
    }

    private func parseSpring(_ hash: String) throws(HashError) -> (any ParsedHash)? {
        let ids: [(prefix: String, digest: DigestAlgorithm)] = [
            ("{MD5}", .md5), ("{SHA-1}", .sha1), ("{SHA-256}", .sha256), ("{SHA-512}", .sha512),
        ]
        if hash.hasPrefix("{sha256}") {
            // StandardPasswordEncoder: hex(salt(8) ‖ SHA-256^1024(salt ‖ secret ‖ password)), empty secret.
            let scheme = "spring-standard-sha256"
            guard let bytes = Hex.decode(hash.dropFirst("{sha256}".count)), bytes.count == 40 else { return nil }
            let salt = Array(bytes[0..<8])
            return DerivedKeyHash(
                scheme: scheme, parameters: [("digest", "sha256"), ("iterations", "1024")],
                expected: Array(bytes[8...]),
                derive: { password in
                    var value = DigestAlgorithm.sha256.digest(salt + password)
                    for _ in 1..<1024 { value = DigestAlgorithm.sha256.digest(value) }
                    return value
                })
        }
        guard let id = ids.first(where: { hash.hasPrefix($0.prefix) }) else { return nil }
        var body = hash.dropFirst(id.prefix.count)
        // MessageDigestPasswordEncoder keeps the salt, braces included, in front
        // and digests password ‖ "{salt}".
        var salt: [UInt8] = []
        if body.hasPrefix("{") {
            guard let close = body.firstIndex(of: "}") else { return nil }
            salt = Array(body[...close].utf8)
            body = body[body.index(after: close)...]
        }
        guard body.utf8.count == id.digest.byteCount * 2, let expected = Hex.decode(body) else { return nil }
        let saltBytes = salt
        return DerivedKeyHash(
            scheme: "spring-\(id.digest.rawValue)",
            parameters: [("digest", id.digest.rawValue), ("salted", String(!saltBytes.isEmpty))],
            expected: expected, derive: { id.digest.digest($0 + saltBytes) })
    }
}

/// Bare hex digests identified by length alone: 32 → MD5, 40 → SHA-1,
/// 64 → SHA-256, 128 → SHA-512. Tried last, after every self-describing format.
struct BareHexScheme: HashScheme {
    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        let digest: DigestAlgorithm
        switch hash.utf8.count {
        case 32: digest = .md5
        case 40: digest = .sha1
        case 64: digest = .sha256
        case 128: digest = .sha512
        default: return nil
        }
        guard let expected = Hex.decode(hash) else { return nil }
        return DerivedKeyHash(
            scheme: "hex-\(digest.rawValue)", parameters: [("digest", digest.rawValue)], expected: expected,
            derive: { digest.digest($0) })
    }
}
