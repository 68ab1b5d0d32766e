/// Every scheme Ferry knows, in the order they are tried. `identify` and
/// `verify` never crash, whatever the input: truncated strings, bad base64,
/// absurd numbers, NUL bytes.
public struct HashCatalog: Sendable {
    public let limits: CostLimits
    /// Spring `{noop}` plaintext hashes are accepted only when this is set.
    public let allowPlaintext: Bool
    /// How to read hashes that do not describe themselves; used when a salt is
    /// supplied from another column, or a bare digest is not self-describing.
    public let configured: ConfiguredDigestFormat?
    /// The application's own formula (`[legacy.hash] expression`), for every
    /// row or for the rows no known format reads.
    public let expression: ExpressionFormat?

    public init(
        limits: CostLimits = CostLimits(), allowPlaintext: Bool = false, configured: ConfiguredDigestFormat? = nil,
        expression: ExpressionFormat? = nil
    ) {
        self.limits = limits
        self.allowPlaintext = allowPlaintext
        self.configured = configured
        self.expression = expression
        selfDescribing = [
            BCryptScheme(), Argon2Scheme(), ScryptScheme(), PBKDF2Scheme(), PHPassScheme(), APR1Scheme(),
            LDAPDigestScheme(wrapped: [BCryptScheme(), APR1Scheme(), CryptScheme()]),
            SaltedDigestScheme(allowPlaintext: allowPlaintext), PostgresSCRAMScheme(), CiscoScheme(),
            KeycloakCredentialScheme(), MySQLCachingSHA2Scheme(), NTHashScheme(), MySQLScheme(), CryptScheme(),
        ]
    }

    /// Longest hash string considered; real formats are far shorter.
    static let maximumHashLength = 1024

    /// Self-describing schemes in the order they are tried (prefixed formats
    /// first, bare DES crypt last). Built once per catalog, not per hash.
    /// ASP.NET Identity's unprefixed base64 is a guess, tried only after an
    /// explicit `[legacy.hash]` description and bare hex digests.
    private var selfDescribing: [any HashScheme]

    /// Reads `hash` into a scheme and its parameters, doing no expensive work.
    /// `salt` is the separately stored salt of a configured format, if any;
    /// `username` is what an expression's `USERNAME` reads.
    public func parse(_ hash: String, salt: String? = nil, username: String? = nil) throws(HashError)
        -> any ParsedHash
    {
        guard !hash.isEmpty else { throw .unsupported("empty hash") }
        guard hash.utf8.count <= Self.maximumHashLength else {
            throw .unsupported("longer than \(Self.maximumHashLength) bytes")
        }
        // Spring {noop} stores the plaintext itself, which may hold any character;
        // Keycloak's credential JSON may be spaced.
        let json = hash.hasPrefix("{\"") && hash.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f })
        guard hash.hasPrefix("{noop}") || json || hash.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw .unsupported("contains characters no hash format uses (spaces, control bytes or non-ASCII)")
        }
        if let expression, expression.rows == .all {
            return try expression.parse(
                hash: hash, salt: salt, username: username, limits: limits, selfDescribing: selfDescribing)
        }
        for scheme in selfDescribing {
            if let parsed = try scheme.parse(hash, limits: limits) { return parsed }
        }
        if let expression {
            return try expression.parse(
                hash: hash, salt: salt, username: username, limits: limits, selfDescribing: selfDescribing)
        }
        // A salt from its own column means the row is in the configured format,
        // whatever it looks like (a base64 digest whose first byte is 0x01 is not
        // ASP.NET Identity's); without one, a bare hex digest is identified by its
        // length first, and the description is still tried before any guess.
        let bare = try BareHexScheme().parse(hash, limits: limits)
        if let configured, salt != nil || bare == nil {
            try limits.checkIterations(configured.iterations, scheme: "configured-\(configured.digest.rawValue)")
            if let salt { return try configured.parse(hash: hash, salt: salt) }
            do {
                return try configured.parse(hash: hash, salt: "")
            } catch {
                if let guessed = try? ASPNetIdentityScheme().parse(hash, limits: limits) { return guessed }
                throw error
            }
        }
        if let bare { return bare }
        if let guessed = try ASPNetIdentityScheme().parse(hash, limits: limits) { return guessed }
        throw .unsupported("no known scheme matches")
    }

    /// Checks `password` against `hash`. The expensive part runs on the calling
    /// thread: call it from a `HashWorkerPool`, never from an event loop.
    public func verify(password: String, hash: String, salt: String? = nil, username: String? = nil)
        -> VerificationResult
    {
        do {
            let parsed = try parse(hash, salt: salt, username: username)
            return parsed.verify(Array(password.utf8))
                ? .match(scheme: parsed.scheme) : .mismatch(scheme: parsed.scheme)
        } catch {
            return .error(error)
        }
    }
}

/// The outcome of a verification.
public enum VerificationResult: Equatable, Sendable {
    case match(scheme: String)
    case mismatch(scheme: String)
    case error(HashError)

    public var isMatch: Bool {
        if case .match = self { return true }
        return false
    }

    public var scheme: String? {
        switch self {
        case .match(let scheme), .mismatch(let scheme): return scheme
        case .error(let error): return error.scheme
        }
    }
}
