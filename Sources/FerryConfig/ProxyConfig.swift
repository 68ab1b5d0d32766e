import Foundation
import PasswordHashes

/// The validated, immutable content of a `proxy.conf`. Built only by
/// `ProxyConfig.load(path:)` / `ProxyConfig.parse(_:file:)`, so every value that
/// exists has passed validation.
public struct ProxyConfig: Equatable, Sendable {
    public internal(set) var server: ServerSettings
    public internal(set) var admin: AdminSettings
    public internal(set) var state: StateSettings
    /// Keyed by upstream name (`legacy`, `new`, any other).
    public internal(set) var upstreams: [String: UpstreamSettings]
    public internal(set) var legacy: LegacySourceSettings?
    public internal(set) var target: TargetSettings?
    public internal(set) var migration: MigrationSettings
    /// In file order: the first matching route wins.
    public internal(set) var routes: [RouteSettings]
    public internal(set) var loginGuard = LoginGuardSettings()
    public internal(set) var sessions = SessionSettings()
}

/// Legacy sessions: recorded as Ferry sees legacy issue them, and optionally
/// checked against the legacy session store, so that a legacy session keeps
/// reaching legacy until it ends and no longer after.
public struct SessionSettings: Equatable, Sendable {
    /// Record every legacy session cookie issued through Ferry (hashed id,
    /// expiry) and stop legacy affinity for sessions known to have ended.
    public internal(set) var track = true
    /// Asks the legacy session store about one session, by `:session_id` or
    /// `:session_id_sha256` (hex); returns `expires_at` (and optionally
    /// `user`). No row means the session is over.
    public internal(set) var storeQuery: String?
    /// The session store's database; default: `legacy.database`.
    public internal(set) var storeDatabase: StoreLocation?
    /// The legacy platform's token-signing keys (JWKS): a JWT counts as a
    /// legacy session only when its signature verifies with one of them.
    public internal(set) var jwksFile: String?
    /// The same keys served by legacy (`/.well-known/jwks.json`); fetched at
    /// start, every `jwksRefresh`, and when a token names a key id the set
    /// lacks (a key rotation), at most once a minute.
    public internal(set) var jwksURL: EndpointURL?
    public internal(set) var jwksRefresh: Duration = .seconds(3600)
    /// How long an ended or expired session's row is kept before it is pruned.
    public internal(set) var retention: Duration = .seconds(86_400)

    public init() {}
}

/// A route that sends a request to legacy or new by who the user is: the
/// identifier comes from the body, as in a login.
public struct UserRouteSettings: Equatable, Sendable {
    public internal(set) var bodyFormat: LoginSettings.BodyFormat
    /// Form field names or JSON pointers; the first one present is used.
    public internal(set) var identifierFields: [String]
    public internal(set) var maxBodySize: Int
    /// Sign-up routes: what to do when the identifier still lives on legacy
    /// unmigrated.
    public internal(set) var onLegacyIdentifier: LegacyIdentifierPolicy

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
    public internal(set) var enabled = true
    public internal(set) var identifierFailures = 5
    public internal(set) var identifierWindow: Duration = .seconds(900)
    public internal(set) var clientFailures = 100
    public internal(set) var clientWindow: Duration = .seconds(900)
    public internal(set) var overLimit: OverLimit = .reject
    /// Header holding the client address when Ferry sits behind a load balancer
    /// (its last entry is taken); nil uses the connection's peer address.
    public internal(set) var clientAddressHeader: String?
    /// Status codes with which legacy answers a failed login; counted for logins
    /// Ferry forwarded without verifying them itself.
    public internal(set) var legacyFailureStatuses: [Int] = [401]

    public init() {}

    public enum OverLimit: String, CaseIterable, Sendable {
        /// Answer 429 with Retry-After.
        case reject
        /// Forward to legacy unverified and let its own lockout answer.
        case legacy
    }
}

public struct ServerSettings: Equatable, Sendable {
    /// Required: a config without it is not built.
    public internal(set) var listen = ListenAddress(host: "0.0.0.0", port: 0)
    public internal(set) var tlsCertFile: String?
    public internal(set) var tlsKeyFile: String?
    /// Offer HTTP/2 to TLS clients through ALPN (HTTP/1.1 stays available). Off
    /// by default: over HTTP/2 a request refused before its body was read loses
    /// its answer (the connection is closed under it).
    public internal(set) var http2 = false
    /// Route paths match without regard to case, for legacy platforms that
    /// serve `/Login` as `/login` (IIS, ASP.NET): otherwise such a variant
    /// would reach the login without being judged.
    public internal(set) var caseInsensitivePaths = false
    public internal(set) var maxHeaderSize = 32 << 10
    public internal(set) var maxBodySize = 10 << 20
    public internal(set) var idleTimeout: Duration = .seconds(60)
    public internal(set) var requestTimeout: Duration = .seconds(60)
    public internal(set) var shutdownTimeout: Duration = .seconds(30)

    /// The listener's certificate and key, when it speaks TLS (validation
    /// requires both or neither).
    public var tls: TLSFiles? {
        guard let tlsCertFile, let tlsKeyFile else { return nil }
        return TLSFiles(certificateFile: tlsCertFile, privateKeyFile: tlsKeyFile)
    }
}

public struct TLSFiles: Equatable, Sendable {
    public internal(set) var certificateFile: String
    public internal(set) var privateKeyFile: String
}

public struct AdminSettings: Equatable, Sendable {
    public internal(set) var listen = ListenAddress(host: "127.0.0.1", port: 9090)
    /// Without a token the `/admin/*` endpoints refuse every call; `/metrics` and
    /// `/healthz` stay available.
    public internal(set) var token: Secret?
}

public struct StateSettings: Equatable, Sendable {
    /// Relative to the config file's folder.
    public internal(set) var store = StoreLocation.sqlite(path: "ferry-state.db")
    public internal(set) var busyTimeout: Duration = .milliseconds(500)
    /// AES-256-GCM key for secrets kept in the provisioning outbox.
    public internal(set) var encryptionKey: Secret?
    /// What a login does when the state store cannot be read or written.
    public internal(set) var onUnavailable: StoreFailurePolicy = .legacy
    /// Ed25519 key (32-byte seed) that signs audit checkpoints; nil: a key
    /// file Ferry creates beside the store (`<store>.audit-key`).
    public internal(set) var auditKey: Secret?
    /// Where signed checkpoints of the audit chain's head are appended; the
    /// builder makes it `<store>.checkpoints` when unset.
    public internal(set) var auditCheckpointFile = ""
    /// A checkpoint is written once this many events follow the last one (and at shutdown).
    public internal(set) var auditCheckpointEvery: Int = 100
    /// Finished outbox jobs (payload already erased) are deleted this long after.
    public internal(set) var outboxRetention: Duration = .seconds(30 * 86_400)
    /// Hourly login counts are kept this long (the status page's history).
    public internal(set) var loginTallyRetention: Duration = .seconds(365 * 86_400)

    public enum StoreFailurePolicy: String, CaseIterable, Sendable {
        /// Fail open: forward the login to legacy untouched.
        case legacy
        /// Fail closed: answer 503.
        case reject
    }
}

public enum StoreLocation: Equatable, Sendable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)
    /// MySQL or MariaDB: a legacy user store or the sql target's database,
    /// never Ferry's own state.
    case mysql(MySQLLocation)

    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite://\(path)"
        case .postgres(let location): return "\(location)"
        case .mysql(let location): return "\(location)"
        }
    }

    /// A database server (PostgreSQL, MySQL), not a file.
    public var isServer: Bool {
        if case .sqlite = self { return false }
        return true
    }
}

public struct UpstreamSettings: Equatable, Sendable {
    /// The table's name (`[upstreams.NAME]`).
    public internal(set) var name = ""
    /// Required: an upstream without it is not built.
    public internal(set) var url = EndpointURL(parsing: "http://invalid")!
    public internal(set) var connectTimeout: Duration = .seconds(5)
    public internal(set) var responseTimeout: Duration = .seconds(60)
    public internal(set) var poolSize = 64
    /// `preserve` forwards the client's Host header; `rewrite` sends the upstream's.
    public internal(set) var hostHeader = HostHeaderPolicy.preserve
    public internal(set) var tlsVerify = true
    public internal(set) var caFile: String?
    /// Cookies issued by this platform; a request carrying one sticks to it.
    public internal(set) var sessionCookies: [String] = []
    /// Opaque bearer tokens of this platform start with one of these.
    public internal(set) var bearerPrefixes: [String] = []
    /// JWT bearer tokens of this platform carry one of these `iss` values.
    public internal(set) var jwtIssuers: [String] = []
}

public enum HostHeaderPolicy: String, CaseIterable, Sendable {
    case preserve
    case rewrite
}

public struct LegacySourceSettings: Equatable, Sendable {
    /// Where legacy users are read: SQL (`database` and `user_query`) or an
    /// LDAP directory (`[legacy.ldap]`).
    public internal(set) var kind = LegacyKind.sql
    /// With `kind = "ldap"`: the directory, its service account and mapping.
    public internal(set) var ldap: LDAPSourceSettings?
    /// With `kind = "sql"` or `"http"`: who checks passwords (`[legacy.answer]`
    /// for the platform).
    public internal(set) var verify = LegacyVerification.hash
    public internal(set) var answer: LegacyAnswerSettings?
    /// MFA secrets encrypted by the application (`[legacy.encryption]`).
    public internal(set) var encryption: LegacySecretEncryption?
    /// With `kind = "cognito"`: the user pool and the credentials to ask it.
    public internal(set) var cognito: CognitoSourceSettings?
    /// With `kind = "http"`: the admin API and how its answers map.
    public internal(set) var http: HTTPSourceSettings?
    /// Required with `kind = "sql"`, as is `userQuery`.
    public internal(set) var database = StoreLocation.sqlite(path: "")

    /// With `kind = "ldap"` or `"cognito"`: `database` holds the users' MFA
    /// factors, consents and extra roles (`mfa_query`, `consents_query`,
    /// `roles_query` by the source's legacy id).
    public internal(set) var hasSideStore = false

    /// `database` when legacy is SQL; nil for a directory.
    public var sqlDatabase: StoreLocation? { kind == .sql ? database : nil }
    /// Named parameter `:identifier` (normalized); column aliases map onto the
    /// canonical record.
    public internal(set) var userQuery = ""
    /// Named parameter `:legacy_id`.
    public internal(set) var mfaQuery: String?
    /// Named parameter `:legacy_id`.
    public internal(set) var consentsQuery: String?
    /// Named parameter `:legacy_id`; one row per role or group (`role`).
    public internal(set) var rolesQuery: String?
    /// Spring `{noop}` hashes are plaintext passwords; accepting them is opt-in.
    public internal(set) var allowPlaintext = false
    /// How to read hashes that do not describe themselves.
    public internal(set) var hashFormat: ConfiguredHashFormat?
    /// Ceilings on legacy hash cost parameters.
    public internal(set) var limits = HashCostLimits()
    /// `status` values of an active user; any other value is a disabled user,
    /// left to legacy. Without a `status` column every user is active.
    public internal(set) var activeStatuses: [String] = ["active"]
    /// Legacy tells "Ada" and "ada" apart (Django, many SQL schemas): case
    /// folding is then off by default, since it would judge one account's
    /// password against the other's hash.
    public internal(set) var caseSensitive = false
    /// How the `secret` column of TOTP factors is encoded.
    public internal(set) var totpSecretEncoding: TOTPSecretEncoding = .base32
    /// Every legacy user (the same column aliases as `userQuery`, plus
    /// `last_login_at`), for status totals and the stragglers export.
    public internal(set) var allUsersQuery: String?

    public enum TOTPSecretEncoding: String, CaseIterable, Sendable {
        case base32, hex, base64
    }
}

/// `[legacy.encryption]`: how the application encrypted MFA secrets at rest.
/// The secrets are decrypted in memory only, when a user is read.
public struct LegacySecretEncryption: Equatable, Sendable {
    public enum Scheme: String, CaseIterable, Sendable {
        /// Rails Active Record encryption: `{"p": …, "h": {"iv": …, "at": …}}`,
        /// AES-256-GCM under a key derived from `key` (the primary key, one per
        /// line when rotated) and `key_derivation_salt`.
        case rails
        /// attr_encrypted / devise-two-factor: base64 of ciphertext and tag,
        /// the IV in its own column (`secret_iv`), a 32-byte `key`.
        case aes256GCM = "aes-256-gcm"
        /// attr_encrypted's older mode (`per_attribute_iv`, AES-256-CBC with
        /// PKCS #7 padding): base64 of the ciphertext, the IV in `secret_iv`.
        case aes256CBC = "aes-256-cbc"
    }

    public internal(set) var scheme = Scheme.rails
    public internal(set) var key: Secret?
    public internal(set) var keyDerivationSalt: Secret?

    public init() {}
}

/// `[legacy.answer]`: the legacy platform's own verdict on a password. Either
/// asked by Ferry (`called`) with the OAuth 2.0 resource-owner password grant
/// (RFC 6749 §4.3), as Auth0, Okta and Keycloak tenants answer it at their
/// token endpoint; or read from legacy's answer to the customer's own login,
/// forwarded untouched (`forwarded`), by the `accepted` and `rejected` rules.
public struct LegacyAnswerSettings: Equatable, Sendable {
    public enum Mode: String, CaseIterable, Sendable {
        /// Ferry asks the token endpoint before forwarding anywhere.
        case called
        /// The login goes to legacy; its answer is the verdict.
        case forwarded
    }

    public internal(set) var mode = Mode.called
    /// Required with `called`.
    public internal(set) var tokenURL: EndpointURL?
    /// Required with `called`.
    public internal(set) var clientID = ""
    /// Required with `forwarded`: any rule that holds means the password was
    /// right (signed in, or asked for a second factor).
    public internal(set) var accepted: [AnswerRule] = []
    /// Any rule that holds means the password was wrong. Also counted by the
    /// brute-force guard for every login forwarded to legacy, beside
    /// `login_guard.legacy_failure_statuses` (a 303 back to the sign-in page).
    public internal(set) var rejected: [AnswerRule] = []
    public internal(set) var clientSecret: Secret?
    public internal(set) var scope: String?
    /// Auth0's API identifier, where the tenant needs one.
    public internal(set) var audience: String?
    public internal(set) var timeout: Duration = .seconds(5)

    public init() {}
}

/// How a SQL legacy source's passwords are checked.
public enum LegacyVerification: String, CaseIterable, Sendable {
    /// Ferry verifies the stored hash.
    case hash
    /// The legacy platform judges every password (`[legacy.answer]`).
    case answer
    /// Ferry verifies the hashes it can read; the platform judges the rest.
    case auto
}

public enum LegacyKind: String, CaseIterable, Sendable {
    case sql, ldap, cognito, http
}

/// `[legacy.cognito]`: an Amazon Cognito user pool that never exports
/// password hashes. Each password is judged by Cognito itself
/// (`AdminInitiateAuth`, `ADMIN_USER_PASSWORD_AUTH`); profiles come from
/// `AdminGetUser`, groups from `AdminListGroupsForUser`, the list of users
/// from `ListUsers`.
public struct CognitoSourceSettings: Equatable, Sendable {
    public internal(set) var region = ""
    public internal(set) var userPoolID = ""
    /// An app client with `ALLOW_ADMIN_USER_PASSWORD_AUTH`.
    public internal(set) var clientID = ""
    /// The app client's secret, when it has one (`SECRET_HASH` is sent).
    public internal(set) var clientSecret: Secret?
    /// IAM credentials allowed the four calls above on this pool, nothing more.
    public internal(set) var accessKeyID = ""
    public internal(set) var secretAccessKey: Secret?
    public internal(set) var sessionToken: Secret?
    /// Default `https://cognito-idp.REGION.amazonaws.com/`; a VPC endpoint or
    /// an emulator otherwise.
    public internal(set) var endpoint: EndpointURL?
    public internal(set) var timeout: Duration = .seconds(5)

    public init() {}

    /// The endpoint calls go to.
    public var url: String { endpoint.map { "\($0)/" } ?? "https://cognito-idp.\(region).amazonaws.com/" }
}

/// `[legacy.ldap]`: a directory read with a service account, the customer
/// found by a filter with the identifier escaped (RFC 4515).
public struct LDAPSourceSettings: Equatable, Sendable {
    /// `ldap://host:port` or `ldaps://host:port`.
    public internal(set) var url = ""
    /// Upgrade an `ldap://` connection with StartTLS before binding.
    public internal(set) var startTLS = false
    /// CA certificates the directory's certificate must chain to.
    public internal(set) var caFile: String?
    public internal(set) var bindDN = ""
    public internal(set) var bindPassword: Secret?
    public internal(set) var baseDN = ""
    /// With `{identifier}`, e.g. `(&(objectClass=inetOrgPerson)(|(uid={identifier})(mail={identifier})))`.
    public internal(set) var userFilter = ""
    /// Every customer, for status totals and the stragglers export.
    public internal(set) var allUsersFilter: String?
    /// The attribute whose value is the legacy id (stable across renames).
    public internal(set) var idAttribute = "entryUUID"
    /// `field=attribute` overrides of the canonical mapping (`LDAPMapping`).
    public internal(set) var attributes: [LDAPAttributeMapping] = []
    /// How a password is checked: Ferry reads `userPassword` (`hash`), binds
    /// as the customer (`bind`), or reads it when it can and binds otherwise.
    public internal(set) var verify = LDAPVerification.auto
    public internal(set) var timeout: Duration = .seconds(5)
    public internal(set) var pageSize = 500

    public init() {}

    public enum LDAPVerification: String, CaseIterable, Sendable {
        case auto, hash, bind
    }
}

/// `username=uid`: which directory attribute fills a canonical field.
public struct LDAPAttributeMapping: Equatable, Sendable, CustomStringConvertible {
    /// Canonical fields an attribute can fill.
    public static let fields = [
        "username", "email", "given_name", "family_name", "phone", "locale", "roles", "created_at", "password_hash",
    ]
    public var field: String
    public var attribute: String

    public var description: String { "\(field)=\(attribute)" }

    static func parse(_ text: String) -> (LDAPAttributeMapping?, String?) {
        let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, !parts[1].isEmpty else { return (nil, "must be field=attribute, e.g. username=uid") }
        guard fields.contains(parts[0]) else {
            return (nil, "names no canonical field; use one of \(fields.joined(separator: ", "))")
        }
        guard parts[1].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == ";" }) else {
            return (nil, "has an attribute name with characters LDAP does not allow")
        }
        return (LDAPAttributeMapping(field: parts[0], attribute: parts[1]), nil)
    }
}

/// A legacy hash asking for more work than this is refused before any work is
/// done: an absurd cost is a denial of service, not a password.
public struct HashCostLimits: Equatable, Sendable {
    public internal(set) var maxBcryptCost = 15
    /// PBKDF2 iterations, sha-crypt rounds, iterated digests.
    public internal(set) var maxIterations = 5_000_000
    public internal(set) var maxPHPassLog2 = 20
    public internal(set) var maxScryptMemory = 256 << 20
    public internal(set) var maxArgon2Memory = 256 << 20
    public internal(set) var maxArgon2Passes = 32
    public internal(set) var maxParallelism = 16

    public init() {}

    /// The same ceilings in the hash catalog's units.
    public var costLimits: CostLimits {
        CostLimits(
            maxBcryptCost: maxBcryptCost, maxIterations: maxIterations, maxPHPassLog2: maxPHPassLog2,
            maxScryptMemory: maxScryptMemory, maxScryptParallelism: maxParallelism,
            maxArgon2MemoryKiB: maxArgon2Memory >> 10, maxArgon2Iterations: maxArgon2Passes,
            maxArgon2Parallelism: maxParallelism)
    }
}

/// A salted digest whose parameters live in config, not in the hash string.
/// Its digest and encodings are `PasswordHashes`' own: the file's words are
/// theirs, so nothing is converted on the way to the hash catalog.
public struct ConfiguredHashFormat: Equatable, Sendable {
    /// Required unless `expression` is given: the two describe the same hashes.
    public internal(set) var digest = DigestAlgorithm.sha256
    /// The application's own formula (`md5(md5(PASSWORD) + SALT)`); when set,
    /// the digest keys do not apply and `pepper` is what `PEPPER` reads.
    public internal(set) var expression: HashExpression?
    /// Which rows `expression` describes: all of them, or only those no known
    /// format reads.
    public internal(set) var rows = ExpressionFormat.Rows.all
    public internal(set) var saltPosition = SaltPosition.prefix
    /// With `salt_position = "template"`: e.g. `{SALT}--{PASSWORD}`.
    public internal(set) var template: String?
    public internal(set) var saltEncoding = ConfiguredDigestFormat.BinaryEncoding.utf8
    public internal(set) var hashEncoding = ConfiguredDigestFormat.BinaryEncoding.hex
    public internal(set) var passwordEncoding = ConfiguredDigestFormat.PasswordEncoding.utf8
    public internal(set) var pepper: Secret?
    public internal(set) var iterations = 1

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
    /// Read first: it decides what the other keys mean.
    public internal(set) var kind: TargetKind
    /// `scim`: base URL of the SCIM service; `webhook`: the URL posted to.
    public internal(set) var url: EndpointURL?
    /// `scim`: bearer token.
    public internal(set) var token: Secret?
    /// `webhook`: HMAC-SHA256 key for the signature header.
    public internal(set) var signingKey: Secret?
    /// `sql`: the new platform's database.
    public internal(set) var database: StoreLocation?
    /// `sql`: statements run in one transaction, with named parameters.
    public internal(set) var statements: [String] = []
    /// `sql`: run once per TOTP factor, HOTP factor, recovery code, WebAuthn
    /// credential, phone factor and consent, in the same transaction.
    public internal(set) var totpStatements: [String] = []
    public internal(set) var hotpStatements: [String] = []
    public internal(set) var recoveryCodeStatements: [String] = []
    public internal(set) var webauthnStatements: [String] = []
    public internal(set) var phoneStatements: [String] = []
    /// `sql`: run once per role from `legacy.roles_query` (`:role`).
    public internal(set) var roleStatements: [String] = []
    /// `scim`: carried attributes written to SCIM attributes.
    public internal(set) var scimAttributes: [SCIMAttributeMapping] = []

    /// `sql`: every statement, user and per-item.
    public var allStatements: [String] {
        statements + totpStatements + hotpStatements + recoveryCodeStatements + webauthnStatements
            + phoneStatements + roleStatements + consentStatements
    }

    /// Whether the user's roles reach the new platform: SCIM's core `roles`
    /// and the webhook body always carry them; sql only with `role_statements`.
    public var carriesRoles: Bool { kind != .sql || !roleStatements.isEmpty }
    public internal(set) var consentStatements: [String] = []
    /// `sql`: finds an existing user (`new_id`, `legacy_id` columns) by
    /// `:legacy_id`, `:username` or `:email`, so that a retried job recognises
    /// its own user and a stranger is reported as a conflict.
    public internal(set) var existingQuery: String?
    /// `sql`: whether the new platform holds a user (`:identifier`; any row
    /// means yes), for `migration.unknown_identifier = "lookup"`.
    public internal(set) var lookupQuery: String?
    /// `sql`: run after `statements`, in the same transaction, to read the id
    /// the new platform gave the user (`new_id`).
    public internal(set) var idQuery: String?
    /// `sql`: the issuer named in `:totp_uri` (the `otpauth://` key URI).
    public internal(set) var totpIssuer: String?
    public internal(set) var timeout: Duration = .seconds(10)
    /// MFA factors the new platform can hold; a user with any other factor gets
    /// `migration.unsupported_mfa`. Unset, what the kind can carry
    /// (`ConfigBuilder.mfaFactors`).
    /// Sorted, so that two configs listing the same factors compare equal.
    public internal(set) var mfaFactors: [MFAFactorKind] = []
    /// Outbox retry backoff: first delay, doubled per attempt up to the ceiling.
    public internal(set) var retryInitial: Duration = .seconds(1)
    public internal(set) var retryCeiling: Duration = .seconds(300)

    public enum TargetKind: String, CaseIterable, Sendable {
        case sql, scim, webhook
    }

    /// `sql`: how date parameters are written. Each date parameter also comes
    /// in every form by suffix (`:created_at_iso8601`).
    public internal(set) var dateFormat = DateFormat.unix

    public enum DateFormat: String, CaseIterable, Sendable {
        /// Unix seconds, with microseconds.
        case unix
        /// `2024-05-01T10:20:30.123456Z`.
        case iso8601
        /// `2024-05-01 10:20:30.123456`, UTC.
        case sql
    }

    init(kind: TargetKind) { self.kind = kind }
}

/// The kinds of second factor a legacy platform may hold.
public enum MFAFactorKind: String, CaseIterable, Sendable, Comparable {
    case totp
    case hotp
    case recoveryCodes = "recovery_codes"
    case webauthn
    case phone

    public static func < (a: MFAFactorKind, b: MFAFactorKind) -> Bool { a.rawValue < b.rawValue }
}

public struct MigrationSettings: Equatable, Sendable {
    public internal(set) var mode = MigrationMode.off
    /// 0–100 with two decimals.
    public internal(set) var rolloutPercent = 0.0
    public internal(set) var rolloutSalt = ""
    public internal(set) var ratePerSecond = 20.0
    public internal(set) var burst = 40
    /// 0 means one per core.
    public internal(set) var hashWorkers = 0
    public internal(set) var hashQueueSize = 256
    public internal(set) var normalization: [IdentifierNormalization] = [.trim, .casefold, .nfkc]
    public internal(set) var allow: [String] = []
    public internal(set) var deny: [String] = []
    /// Accounts that stay on legacy whatever else says they may move.
    public internal(set) var holdOnLegacy: [HoldRule] = []
    public internal(set) var rehash = RehashSettings()
    public internal(set) var unsupportedMFA = UnsupportedMFAPolicy.requireReenroll
    public internal(set) var legacyUpstream = "legacy"
    public internal(set) var newUpstream = "new"
    /// Where a login or user flow goes when the legacy source does not know
    /// the identifier (someone who signed up on the new platform).
    public internal(set) var unknownIdentifier = UnknownIdentifierPolicy.legacy
    /// With `lookup`: where an identifier neither platform knows goes.
    public internal(set) var unknownToBoth = UnknownToBothPolicy.legacy

    public enum UnknownIdentifierPolicy: String, CaseIterable, Sendable {
        /// Legacy answers, as for any unmigrated user.
        case legacy
        /// The new platform answers.
        case new
        /// The target is asked; the new platform answers for users it holds.
        case lookup
    }

    public enum UnknownToBothPolicy: String, CaseIterable, Sendable {
        case legacy, new
    }

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

/// The hash written for the new platform, its format and parameters. The
/// scheme, format, parameters and their defaults (OWASP's recommendations) are
/// `PasswordHashes`' own (`Rehasher`).
public struct RehashSettings: Equatable, Sendable {
    public internal(set) var scheme: RehashAlgorithm = Rehasher().algorithm
    public internal(set) var format: RehashFormat = Rehasher().format
    /// Memory, passes, cost and the rest: `Rehasher`'s own parameters and defaults.
    public internal(set) var parameters = RehashParameters()

    public init() {}
}

public struct RouteSettings: Equatable, Sendable {
    /// Required, as is `action`: a route without them is not built.
    public internal(set) var name = ""
    public internal(set) var match = RouteMatch()
    public internal(set) var action = RouteAction.proxy(upstream: "")
    /// Whether a session cookie or token of one platform overrides this route's
    /// upstream choice.
    public internal(set) var sessionAffinity = true
}

public struct RouteMatch: Equatable, Sendable {
    /// Empty matches every method.
    public internal(set) var methods: [String] = []
    public internal(set) var path: PathMatch?
    public internal(set) var host: String?
    /// Header that must be present.
    public internal(set) var header: String?
    /// Cookie that must be present.
    public internal(set) var cookie: String?

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
    /// This route with its path pattern rewritten by `transform`: the proxy
    /// compares patterns and request paths in one normal form.
    public func withPathPattern(_ transform: (String) -> String) -> RouteSettings {
        var route = self
        switch match.path {
        case .exact(let path): route.match.path = .exact(transform(path))
        case .prefix(let path): route.match.path = .prefix(transform(path))
        case nil: break
        }
        return route
    }

    /// Ferry decides where the request goes (by the user), so both migration
    /// upstreams must exist.
    var isHandledByFerry: Bool {
        if case .proxy = action { return false }
        return true
    }
}

public struct LoginSettings: Equatable, Sendable {
    public internal(set) var bodyFormat: BodyFormat
    /// Form field name, or JSON pointer (`/user/email`) for JSON bodies.
    public internal(set) var identifierField: String
    public internal(set) var passwordField: String
    public internal(set) var maxBodySize: Int
    /// How a login is reshaped when it goes to the new platform; nil forwards it
    /// as the client sent it.
    public internal(set) var newPlatformShape: LoginShape?
    /// Fields (form names or JSON pointers) of the later steps of a flow
    /// posted to the same path (an OTP step's `mfa_token`, `otp`): a body
    /// with one of them and no password goes to the platform that issued
    /// that value, else to the identifier's platform, else to legacy.
    public internal(set) var laterStepFields: [String]

    public init(
        bodyFormat: BodyFormat, identifierField: String, passwordField: String, maxBodySize: Int,
        newPlatformShape: LoginShape? = nil, laterStepFields: [String] = []
    ) {
        self.bodyFormat = bodyFormat
        self.identifierField = identifierField
        self.passwordField = passwordField
        self.maxBodySize = maxBodySize
        self.newPlatformShape = newPlatformShape
        self.laterStepFields = laterStepFields
    }

    public enum BodyFormat: String, CaseIterable, Sendable {
        case auto, form, json
    }
}

/// The new platform's login request: path, body format, field names and
/// fields it needs that the legacy form did not send.
public struct LoginShape: Equatable, Sendable {
    public internal(set) var path: String?
    public internal(set) var bodyFormat: Format
    public internal(set) var identifierField: String
    public internal(set) var passwordField: String
    public internal(set) var staticFields: [String: String]

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

extension LegacySecretEncryption {
    /// A 32-byte AES key written as 64 hex digits, base64, or 32 characters.
    public static func rawKey(_ text: String) -> [UInt8]? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.count == 64, let bytes = Hex.decode(trimmed) { return bytes }
        if let data = Data(base64Encoded: trimmed), data.count == 32 { return Array(data) }
        if trimmed.utf8.count == 32 { return Array(trimmed.utf8) }
        return nil
    }
}
