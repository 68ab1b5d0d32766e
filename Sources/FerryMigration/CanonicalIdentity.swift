import Foundation

/// The record built for each migrating user (DESIGN.md, "Data that crosses from
/// legacy to new"). It holds secrets — the new hash, TOTP secrets, recovery codes
/// — so it is only ever stored sealed, and never logged.
public struct CanonicalIdentity: Codable, Equatable, Sendable {
    public var legacyID: String
    public var username: String?
    public var email: String?
    public var emailVerified: Bool
    public var phone: String?
    public var profile: Profile
    public var credential: Credential
    public var mfa: MFA
    public var consents: [ConsentGrant]
    public var metadata: Metadata
    /// Every other column of the legacy user row, typed.
    public var attributes: [String: AttributeValue]
    /// The user's roles and groups (`legacy.roles_query`).
    public var roles: [String]

    public init(
        legacyID: String, username: String? = nil, email: String? = nil, emailVerified: Bool = false,
        phone: String? = nil, profile: Profile = Profile(), credential: Credential, mfa: MFA = MFA(),
        consents: [ConsentGrant] = [], metadata: Metadata = Metadata(), attributes: [String: AttributeValue] = [:],
        roles: [String] = []
    ) {
        self.legacyID = legacyID
        self.username = username
        self.email = email
        self.emailVerified = emailVerified
        self.phone = phone
        self.profile = profile
        self.credential = credential
        self.mfa = mfa
        self.consents = consents
        self.metadata = metadata
        self.attributes = attributes
        self.roles = roles
    }

    /// Jobs sealed before attributes and roles were carried still open.
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            legacyID: try values.decode(String.self, forKey: .legacyID),
            username: try values.decodeIfPresent(String.self, forKey: .username),
            email: try values.decodeIfPresent(String.self, forKey: .email),
            emailVerified: try values.decode(.emailVerified, default: false),
            phone: try values.decodeIfPresent(String.self, forKey: .phone),
            profile: try values.decode(.profile, default: Profile()),
            credential: try values.decode(Credential.self, forKey: .credential),
            mfa: try values.decode(.mfa, default: MFA()), consents: try values.decode(.consents, default: []),
            metadata: try values.decode(.metadata, default: Metadata()),
            attributes: try values.decode(.attributes, default: [:]), roles: try values.decode(.roles, default: []))
    }

    /// The name the new platform knows the user by: the username, else the email.
    public var loginName: String { username ?? email ?? legacyID }

    public struct Profile: Codable, Equatable, Sendable {
        public var givenName: String?
        public var familyName: String?
        public var locale: String?
        public init(givenName: String? = nil, familyName: String? = nil, locale: String? = nil) {
            self.givenName = givenName
            self.familyName = familyName
            self.locale = locale
        }
    }

    public struct Credential: Codable, Equatable, Sendable {
        /// In the target's format (`migration.rehash`).
        public var passwordHash: String
        /// The legacy scheme it replaced, e.g. `bcrypt`; not secret.
        public var legacyScheme: String
        public init(passwordHash: String, legacyScheme: String) {
            self.passwordHash = passwordHash
            self.legacyScheme = legacyScheme
        }
    }

    public struct ConsentGrant: Codable, Equatable, Sendable {
        public var purpose: String
        public var client: String?
        public var version: String?
        public var granted: Bool
        public var at: Date?
        public var source: String
        public init(
            purpose: String, client: String? = nil, version: String? = nil, granted: Bool, at: Date? = nil,
            source: String = "legacy"
        ) {
            self.purpose = purpose
            self.client = client
            self.version = version
            self.granted = granted
            self.at = at
            self.source = source
        }
    }

    public struct Metadata: Codable, Equatable, Sendable {
        public var createdAt: Date?
        public var lastLoginAt: Date?
        public var migratedAt: Date?
        public var legacyStatus: String?
        public init(
            createdAt: Date? = nil, lastLoginAt: Date? = nil, migratedAt: Date? = nil, legacyStatus: String? = nil
        ) {
            self.createdAt = createdAt
            self.lastLoginAt = lastLoginAt
            self.migratedAt = migratedAt
            self.legacyStatus = legacyStatus
        }
    }

    /// The non-secret shape of the user's MFA, for the state store and audit log.
    public var mfaSummary: String {
        var parts = [
            "totp=\(mfa.totp.count)", "recovery_codes=\(mfa.recoveryCodes.count)", "webauthn=\(mfa.webauthn.count)",
            "phone=\(mfa.phones.count)",
        ]
        if !mfa.hotp.isEmpty { parts.insert("hotp=\(mfa.hotp.count)", at: 1) }
        if mfa.reenrollRequired { parts.append("reenroll_required") }
        return parts.joined(separator: ",")
    }

    public var consentSummary: String {
        "granted=\(consents.filter(\.granted).count),refused=\(consents.filter { !$0.granted }.count)"
    }
}
