/// bcrypt and the wrappers that pre-hash the password before bcrypt:
/// `$2a$ $2b$ $2y$ $2x$` (OpenBSD / crypt_blowfish), passlib `bcrypt_sha256` v1 and
/// v2, Django `bcrypt$` and `bcrypt_sha256$`, Spring `{bcrypt}`, WordPress 6.8
/// `$wp$2y$`.
struct BCryptScheme: HashScheme {
    /// How the password is turned into bcrypt's input.
    enum Prehash: Sendable {
        case none
        /// passlib v1: base64(SHA-256(password)).
        case passlibSHA256
        /// passlib v2: base64(HMAC-SHA256(key: salt text, password)).
        case passlibHMACSHA256
        /// Django: hex(SHA-256(password)).
        case djangoSHA256
        /// WordPress 6.8+: base64(HMAC-SHA384(key: "wp-sha384", password)).
        case wordpressHMACSHA384
    }

    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        if hash.hasPrefix("$bcrypt-sha256$") { return try parsePasslibSHA256(hash, limits: limits) }
        let wrappers: [(prefix: String, scheme: String, prehash: Prehash)] = [
            ("bcrypt_sha256$", "django-bcrypt-sha256", .djangoSHA256),
            ("bcrypt$", "django-bcrypt", .none),
            ("{bcrypt}", "spring-bcrypt", .none),
            // `$wp` + `$2y$…`: only the three characters are WordPress's.
            ("$wp", "wordpress-bcrypt", .wordpressHMACSHA384),
        ]
        for wrapper in wrappers where hash.hasPrefix(wrapper.prefix) {
            if wrapper.prefix == "$wp" && !hash.hasPrefix("$wp$2") { continue }
            let inner = String(hash.dropFirst(wrapper.prefix.count))
            let core = try Self.parseCore(inner, scheme: wrapper.scheme, limits: limits)
            return BCryptHash(
                scheme: wrapper.scheme, variant: core.variant, cost: core.cost, setting: inner, prehash: wrapper.prehash
            )
        }
        guard Self.isModularBCrypt(hash) else { return nil }
        let core = try Self.parseCore(hash, scheme: "bcrypt", limits: limits)
        return BCryptHash(scheme: "bcrypt", variant: core.variant, cost: core.cost, setting: hash, prehash: .none)
    }

    static func isModularBCrypt(_ hash: String) -> Bool {
        ["$2a$", "$2b$", "$2y$", "$2x$", "$2$"].contains { hash.hasPrefix($0) }
    }

    /// Checks `$2?$NN$` + 53 characters of bcrypt base64.
    static func parseCore(_ text: String, scheme: String, limits: CostLimits) throws(HashError) -> (
        variant: String, cost: Int
    ) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].isEmpty, ["2a", "2b", "2y", "2x"].contains(parts[1]) else {
            throw .malformed(scheme: scheme, reason: "expected $2a$, $2b$, $2y$ or $2x$, a cost and 53 characters")
        }
        guard parts[2].count == 2, let cost = Int(parts[2]) else {
            throw .malformed(scheme: scheme, reason: "cost must be two digits")
        }
        guard (4...31).contains(cost) else { throw .malformed(scheme: scheme, reason: "cost \(cost) is outside 4–31") }
        guard cost <= limits.maxBcryptCost else {
            throw .overLimit(scheme: scheme, reason: "cost \(cost) exceeds the limit of \(limits.maxBcryptCost)")
        }
        guard parts[3].utf8.count == 53, parts[3].utf8.allSatisfy(isBCryptBase64) else {
            throw .malformed(scheme: scheme, reason: "salt and digest must be 53 characters of bcrypt base64")
        }
        return (String(parts[1]), cost)
    }

    static func isBCryptBase64(_ c: UInt8) -> Bool {
        c == UInt8(ascii: ".") || c == UInt8(ascii: "/") || (c >= 48 && c <= 57) || (c >= 65 && c <= 90)
            || (c >= 97 && c <= 122)
    }

    /// `$bcrypt-sha256$2a,12$<salt>$<digest>` (v1) or
    /// `$bcrypt-sha256$v=2,t=2b,r=12$<salt>$<digest>` (v2).
    private func parsePasslibSHA256(_ hash: String, limits: CostLimits) throws(HashError) -> any ParsedHash {
        let scheme = "passlib-bcrypt-sha256"
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[3].utf8.count == 22, parts[4].utf8.count == 31 else {
            throw .malformed(scheme: scheme, reason: "expected $bcrypt-sha256$<params>$<22-char salt>$<31-char digest>")
        }
        var variant: String
        var costText: Substring
        var prehash = Prehash.passlibSHA256
        if parts[2].hasPrefix("v=2,") {
            let fields = parts[2].split(separator: ",")
            guard fields.count == 3, fields[1].hasPrefix("t="), fields[2].hasPrefix("r=") else {
                throw .malformed(scheme: scheme, reason: "v2 parameters must be v=2,t=<variant>,r=<cost>")
            }
            variant = String(fields[1].dropFirst(2))
            costText = fields[2].dropFirst(2)
            prehash = .passlibHMACSHA256
        } else {
            let fields = parts[2].split(separator: ",")
            guard fields.count == 2 else {
                throw .malformed(scheme: scheme, reason: "v1 parameters must be <variant>,<cost>")
            }
            variant = String(fields[0])
            costText = fields[1]
        }
        guard ["2a", "2b"].contains(variant) else {
            throw .malformed(scheme: scheme, reason: "variant must be 2a or 2b")
        }
        let cost = Int(costText) ?? -1
        let setting = "$\(variant)$\(cost < 10 ? "0" : "")\(cost)$\(parts[3])\(parts[4])"
        _ = try Self.parseCore(setting, scheme: scheme, limits: limits)
        return BCryptHash(
            scheme: scheme, variant: variant, cost: cost, setting: setting, prehash: prehash,
            hmacKey: Array(parts[3].utf8))
    }
}

struct BCryptHash: ParsedHash {
    let scheme: String
    let variant: String
    let cost: Int
    /// The plain `$2?$NN$<salt><digest>` string handed to crypt(3).
    let setting: String
    let prehash: BCryptScheme.Prehash
    var hmacKey: [UInt8] = []

    var parameters: [(name: String, value: String)] { [("variant", variant), ("cost", String(cost))] }

    func verify(_ password: [UInt8]) -> Bool {
        SystemCrypt.verify(input(for: password), hash: setting)
    }

    private func input(for password: [UInt8]) -> [UInt8] {
        switch prehash {
        case .none: return password
        case .passlibSHA256: return Array(Base64Alphabet.standard.encode(DigestAlgorithm.sha256.digest(password)).utf8)
        case .passlibHMACSHA256:
            return Array(Base64Alphabet.standard.encode(DigestAlgorithm.sha256.hmac(key: hmacKey, password)).utf8)
        case .djangoSHA256: return Array(Hex.encode(DigestAlgorithm.sha256.digest(password)).utf8)
        case .wordpressHMACSHA384:
            return Array(
                Base64Alphabet.standard.encode(DigestAlgorithm.sha384.hmac(key: Array("wp-sha384".utf8), password)).utf8
            )
        }
    }
}
