import PasswordHashes

/// The validated, immutable content of a `proxy.conf`. Built only by
/// `ProxyConfig.load(path:)` / `ProxyConfig.parse(_:file:)`, so every value that
/// exists has passed validation.
public struct ProxyConfig: Equatable, Sendable {
    public var server: ServerSettings
    public var admin: AdminSettings
    public var state: StateSettings
    /// Keyed by upstream name (`legacy`, `new`, any other).
    public var upstreams: [String: UpstreamSettings]
    public var legacy: LegacySourceSettings?
    public var target: TargetSettings?
    public var migration: MigrationSettings
    /// In file order: the first matching route wins.
    public var routes: [RouteSettings]
    public var loginGuard = LoginGuardSettings()
    public var sessions = SessionSettings()
}

/// Legacy sessions: recorded as Ferry sees legacy issue them, and optionally
/// checked against the legacy session store, so that a legacy session keeps
/// reaching legacy until it ends and no longer after.
public struct SessionSettings: Equatable, Sendable {
    /// Record every legacy session cookie issued through Ferry (hashed id,
    /// expiry) and stop legacy affinity for sessions known to have ended.
    public var track = true
    /// Asks the legacy session store about one session, by `:session_id` or
    /// `:session_id_sha256` (hex); returns `expires_at` (and optionally
    /// `user`). No row means the session is over.
    public var storeQuery: String?
    /// The session store's database; default: `legacy.database`.
    public var storeDatabase: StoreLocation?
    /// The legacy platform's token-signing keys (JWKS): a JWT counts as a
    /// legacy session only when its signature verifies with one of them.
    public var jwksFile: String?
    /// The same keys served by legacy (`/.well-known/jwks.json`); fetched at
    /// start, every `jwksRefresh`, and when a token names a key id the set
    /// lacks (a key rotation), at most once a minute.
    public var jwksURL: EndpointURL?
    public var jwksRefresh: Duration = .seconds(3600)
    /// How long an ended or expired session's row is kept before it is pruned.
    public var retention: Duration = .seconds(86_400)

    public init() {}
}

/// A route that sends a request to legacy or new by who the user is: the
/// identifier comes from the body, as in a login.
public struct UserRouteSettings: Equatable, Sendable {
    public var bodyFormat: LoginSettings.BodyFormat
    /// Form field names or JSON pointers; the first one present is used.
    public var identifierFields: [String]
    public var maxBodySize: Int
    /// Sign-up routes: what to do when the identifier still lives on legacy
    /// unmigrated.
    public var onLegacyIdentifier: LegacyIdentifierPolicy

    public enum LegacyIdentifierPolicy: String, CaseIterable, Sendable {
        /// Answer 409 with a message telling the customer to log in.
        case refuse
        /// Send the sign-up to legacy, which knows the identifier.
        case legacy
    }
}
/// The brute-force guard in front of the legacy verifier: failed logins are
/// counted per identifier and per client address in sliding windows.
public struct LoginGuardSettings: Equatable, Sendable {
    public var enabled = true
    public var identifierFailures = 5
    public var identifierWindow: Duration = .seconds(900)
    public var clientFailures = 100
    public var clientWindow: Duration = .seconds(900)
    public var overLimit: OverLimit = .reject
    /// Header holding the client address when Ferry sits behind a load balancer
    /// (its last entry is taken); nil uses the connection's peer address.
    public var clientAddressHeader: String?
    /// Status codes with which legacy answers a failed login; counted for logins
    /// Ferry forwarded without verifying them itself.
    public var legacyFailureStatuses: [Int] = [401]

    public init() {}

    public enum OverLimit: String, CaseIterable, Sendable {
        /// Answer 429 with Retry-After.
        case reject
        /// Forward to legacy unverified and let its own lockout answer.
        case legacy
    }
}

public struct ServerSettings: Equatable, Sendable {
    public var listen: ListenAddress
    public var tls: TLSFiles?
    /// Offer HTTP/2 to TLS clients through ALPN (HTTP/1.1 stays available). Off
    /// by default: over HTTP/2 a request refused before its body was read loses
    /// its answer (the connection is closed under it).
    public var http2: Bool
    /// Route paths match without regard to case, for legacy platforms that
    /// serve `/Login` as `/login` (IIS, ASP.NET): otherwise such a variant
    /// would reach the login without being judged.
    public var caseInsensitivePaths: Bool
    public var maxHeaderSize: Int
    public var maxBodySize: Int
    public var idleTimeout: Duration
    public var requestTimeout: Duration
    public var shutdownTimeout: Duration
}

public struct TLSFiles: Equatable, Sendable {
    public var certificateFile: String
    public var privateKeyFile: String
}

public struct AdminSettings: Equatable, Sendable {
    public var listen: ListenAddress
    /// Without a token the `/admin/*` endpoints refuse every call; `/metrics` and
    /// `/healthz` stay available.
    public var token: Secret?
}

public struct StateSettings: Equatable, Sendable {
    public var store: StoreLocation
    public var busyTimeout: Duration
    /// AES-256-GCM key for secrets kept in the provisioning outbox.
    public var encryptionKey: Secret?
    /// What a login does when the state store cannot be read or written.
    public var onUnavailable: StoreFailurePolicy = .legacy
    /// Ed25519 key (32-byte seed) that signs audit checkpoints; nil: a key
    /// file Ferry creates beside the store (`<store>.audit-key`).
    public var auditKey: Secret?
    /// Where signed checkpoints of the audit chain's head are appended.
    public var auditCheckpointFile: String = ""
    /// A checkpoint is written once this many events follow the last one (and at shutdown).
    public var auditCheckpointEvery: Int = 100

    public enum StoreFailurePolicy: String, CaseIterable, Sendable {
        /// Fail open: forward the login to legacy untouched.
        case legacy
        /// Fail closed: answer 503.
        case reject
    }
}

public enum StoreLocation: Equatable, Sendable, CustomStringConvertible {
    case sqlite(path: String)

    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite://\(path)"
        }
    }
}

public struct UpstreamSettings: Equatable, Sendable {
    public var name: String
    public var url: EndpointURL
    public var connectTimeout: Duration
    public var responseTimeout: Duration
    public var poolSize: Int
    /// `preserve` forwards the client's Host header; `rewrite` sends the upstream's.
    public var hostHeader: HostHeaderPolicy
    public var tlsVerify: Bool
    public var caFile: String?
    /// Cookies issued by this platform; a request carrying one sticks to it.
    public var sessionCookies: [String]
    /// Opaque bearer tokens of this platform start with one of these.
    public var bearerPrefixes: [String]
    /// JWT bearer tokens of this platform carry one of these `iss` values.
    public var jwtIssuers: [String]
}

public enum HostHeaderPolicy: String, CaseIterable, Sendable {
    case preserve
    case rewrite
}

public struct LegacySourceSettings: Equatable, Sendable {
    public var database: StoreLocation
    /// Named parameter `:identifier` (normalized); column aliases map onto the
    /// canonical record.
    public var userQuery: String
    /// Named parameter `:legacy_id`.
    public var mfaQuery: String?
    /// Named parameter `:legacy_id`.
    public var consentsQuery: String?
    /// Spring `{noop}` hashes are plaintext passwords; accepting them is opt-in.
    public var allowPlaintext: Bool
    /// How to read hashes that do not describe themselves.
    public var hashFormat: ConfiguredHashFormat?
    /// Ceilings on legacy hash cost parameters.
    public var limits: HashCostLimits
    /// `status` values of an active user; any other value is a disabled user,
    /// left to legacy. Without a `status` column every user is active.
    public var activeStatuses: [String] = ["active"]
    /// How the `secret` column of TOTP factors is encoded.
    public var totpSecretEncoding: TOTPSecretEncoding = .base32
    /// Every legacy user (the same column aliases as `userQuery`, plus
    /// `last_login_at`), for status totals and the stragglers export.
    public var allUsersQuery: String?

    public enum TOTPSecretEncoding: String, CaseIterable, Sendable {
        case base32, hex, base64
    }
}

/// A legacy hash asking for more work than this is refused before any work is
/// done: an absurd cost is a denial of service, not a password.
public struct HashCostLimits: Equatable, Sendable {
    public var maxBcryptCost = 15
    /// PBKDF2 iterations, sha-crypt rounds, iterated digests.
    public var maxIterations = 5_000_000
    public var maxPHPassLog2 = 20
    public var maxScryptMemory = 256 << 20
    public var maxArgon2Memory = 256 << 20
    public var maxArgon2Passes = 32
    public var maxParallelism = 16

    public init() {}
}

/// A salted digest whose parameters live in config, not in the hash string.
/// Its digest and encodings are `PasswordHashes`' own: the file's words are
/// theirs, so nothing is converted on the way to the hash catalog.
public struct ConfiguredHashFormat: Equatable, Sendable {
    public var digest: DigestAlgorithm
    public var saltPosition: SaltPosition
    /// With `salt_position = "template"`: e.g. `{SALT}--{PASSWORD}`.
    public var template: String?
    public var saltEncoding: ConfiguredDigestFormat.BinaryEncoding
    public var hashEncoding: ConfiguredDigestFormat.BinaryEncoding
    public var passwordEncoding: ConfiguredDigestFormat.PasswordEncoding
    public var pepper: Secret?
    public var iterations: Int

    /// The file's spelling of the salt's place; with `template` the text
    /// says where (`ConfiguredDigestFormat.SaltPlacement` carries both).
    public enum SaltPosition: String, CaseIterable, Sendable {
        case prefix, suffix, template
    }

    /// Where the hash catalog puts the salt. Validation requires `template`
    /// (with `{PASSWORD}`) when the position is `template`.
    public var saltPlacement: ConfiguredDigestFormat.SaltPlacement {
        switch saltPosition {
        case .prefix: .prefix
        case .suffix: .suffix
        case .template: .template(template ?? "")
        }
    }
}

public struct TargetSettings: Equatable, Sendable {
    public var kind: TargetKind
    /// `scim`: base URL of the SCIM service; `webhook`: the URL posted to.
    public var url: EndpointURL?
    /// `scim`: bearer token.
    public var token: Secret?
    /// `webhook`: HMAC-SHA256 key for the signature header.
    public var signingKey: Secret?
    /// `sql`: the new platform's database.
    public var database: StoreLocation?
    /// `sql`: statements run in one transaction, with named parameters.
    public var statements: [String]
    /// `sql`: run once per TOTP factor, recovery code and consent, in the same
    /// transaction.
    public var totpStatements: [String] = []
    public var recoveryCodeStatements: [String] = []
    public var consentStatements: [String] = []
    /// `sql`: finds an existing user (`new_id`, `legacy_id` columns) by
    /// `:legacy_id`, `:username` or `:email`, so that a retried job recognises
    /// its own user and a stranger is reported as a conflict.
    public var existingQuery: String?
    public var timeout: Duration
    /// MFA factors the new platform can hold; a user with any other factor gets
    /// `migration.unsupported_mfa`.
    /// Sorted, so that two configs listing the same factors compare equal.
    public var mfaFactors: [MFAFactorKind]
    /// Outbox retry backoff: first delay, doubled per attempt up to the ceiling.
    public var retryInitial: Duration = .seconds(1)
    public var retryCeiling: Duration = .seconds(300)

    public enum TargetKind: String, CaseIterable, Sendable {
        case sql, scim, webhook
    }
}

/// The kinds of second factor a legacy platform may hold.
public enum MFAFactorKind: String, CaseIterable, Sendable, Comparable {
    case totp
    case recoveryCodes = "recovery_codes"
    case webauthn
    case phone

    public static func < (a: MFAFactorKind, b: MFAFactorKind) -> Bool { a.rawValue < b.rawValue }
}

public struct MigrationSettings: Equatable, Sendable {
    public var mode: MigrationMode
    /// 0–100 with two decimals.
    public var rolloutPercent: Double
    public var rolloutSalt: String
    public var ratePerSecond: Double
    public var burst: Int
    /// 0 means one per core.
    public var hashWorkers: Int
    public var hashQueueSize: Int
    public var normalization: [IdentifierNormalization]
    public var allow: [String]
    public var deny: [String]
    public var rehash: RehashSettings
    public var unsupportedMFA: UnsupportedMFAPolicy
    public var legacyUpstream: String
    public var newUpstream: String

    public enum MigrationMode: String, CaseIterable, Sendable {
        case off, shadow, migrate
    }

    public enum IdentifierNormalization: String, CaseIterable, Sendable {
        case trim, casefold, nfkc
    }

    public enum UnsupportedMFAPolicy: String, CaseIterable, Sendable {
        case requireReenroll = "require_reenroll"
        case keepOnLegacy = "keep_on_legacy"
    }
}

/// The hash written for the new platform, its format and parameters. Defaults
/// are OWASP's recommendations.
/// The scheme, format and defaults are `PasswordHashes`' (`Rehasher`).
public struct RehashSettings: Equatable, Sendable {
    public var scheme: RehashAlgorithm = Rehasher().algorithm
    public var format: RehashFormat = Rehasher().format
    public var argon2MemoryKiB = RehashParameters().argon2MemoryKiB
    public var argon2Passes = RehashParameters().argon2Iterations
    public var argon2Parallelism = RehashParameters().argon2Parallelism
    public var bcryptCost = RehashParameters().bcryptCost
    public var pbkdf2Iterations = RehashParameters().pbkdf2Iterations
    public var scryptLog2N = RehashParameters().scryptLog2N
    public var scryptR = RehashParameters().scryptR
    public var scryptP = RehashParameters().scryptP

    public init() {}

    /// What `Rehasher` is given.
    public var parameters: RehashParameters {
        var parameters = RehashParameters()
        parameters.argon2MemoryKiB = argon2MemoryKiB
        parameters.argon2Iterations = argon2Passes
        parameters.argon2Parallelism = argon2Parallelism
        parameters.bcryptCost = bcryptCost
        parameters.pbkdf2Iterations = pbkdf2Iterations
        parameters.scryptLog2N = scryptLog2N
        parameters.scryptR = scryptR
        parameters.scryptP = scryptP
        return parameters
    }
}

public struct RouteSettings: Equatable, Sendable {
    public var name: String
    public var match: RouteMatch
    public var action: RouteAction
    /// Whether a session cookie or token of one platform overrides this route's
    /// upstream choice.
    public var sessionAffinity: Bool
}

public struct RouteMatch: Equatable, Sendable {
    /// Empty matches every method.
    public var methods: [String]
    public var path: PathMatch?
    public var host: String?
    /// Header that must be present.
    public var header: String?
    /// Cookie that must be present.
    public var cookie: String?

    public enum PathMatch: Equatable, Sendable {
        case exact(String)
        case prefix(String)
    }
}

public enum RouteAction: Equatable, Sendable {
    case proxy(upstream: String)
    case login(LoginSettings)
    /// Password reset and similar flows: migrated users to new, others to legacy.
    case byUser(UserRouteSettings)
    /// Sign-up on the new platform, guarded against identifiers still on legacy.
    case signup(UserRouteSettings)
}

extension RouteSettings {
    /// Ferry decides where the request goes (by the user), so both migration
    /// upstreams must exist.
    var isHandledByFerry: Bool {
        if case .proxy = action { return false }
        return true
    }
}

public struct LoginSettings: Equatable, Sendable {
    public var bodyFormat: BodyFormat
    /// Form field name, or JSON pointer (`/user/email`) for JSON bodies.
    public var identifierField: String
    public var passwordField: String
    public var maxBodySize: Int
    /// How a login is reshaped when it goes to the new platform; nil forwards it
    /// as the client sent it.
    public var newPlatformShape: LoginShape?

    public init(
        bodyFormat: BodyFormat, identifierField: String, passwordField: String, maxBodySize: Int,
        newPlatformShape: LoginShape? = nil
    ) {
        self.bodyFormat = bodyFormat
        self.identifierField = identifierField
        self.passwordField = passwordField
        self.maxBodySize = maxBodySize
        self.newPlatformShape = newPlatformShape
    }

    public enum BodyFormat: String, CaseIterable, Sendable {
        case auto, form, json
    }
}

/// The new platform's login request: path, body format, field names and
/// fields it needs that the legacy form did not send.
public struct LoginShape: Equatable, Sendable {
    public var path: String?
    public var bodyFormat: Format
    public var identifierField: String
    public var passwordField: String
    public var staticFields: [String: String]

    public enum Format: String, CaseIterable, Sendable {
        case form, json
    }

    public init(
        path: String? = nil, bodyFormat: Format, identifierField: String, passwordField: String,
        staticFields: [String: String] = [:]
    ) {
        self.path = path
        self.bodyFormat = bodyFormat
        self.identifierField = identifierField
        self.passwordField = passwordField
        self.staticFields = staticFields
    }
}
