import Foundation

/// A user's second factors with the state their authenticator store keeps, not
/// just the secret: without the last accepted TOTP step a code already used on
/// legacy is accepted again on the new platform, without the HOTP counter every
/// code is out of step, and without labels and used flags the user no longer
/// recognises their own devices and codes.
///
/// Records sealed before a field existed still open: every field added later
/// decodes with its default when absent, and a recovery code or phone written
/// as a bare string reads as an unused code or a verified phone (a phone only
/// became a factor once it was proved).
extension CanonicalIdentity {
    public struct MFA: Codable, Equatable, Sendable {
        public var totp: [TOTPFactor]
        public var hotp: [HOTPFactor]
        public var recoveryCodes: [RecoveryCode]
        public var webauthn: [WebAuthnCredential]
        public var phones: [PhoneFactor]
        /// Set when the user has a factor the target cannot hold and policy is
        /// `require_reenroll`: the new platform must make the user enroll again.
        public var reenrollRequired: Bool

        public init(
            totp: [TOTPFactor] = [], hotp: [HOTPFactor] = [], recoveryCodes: [RecoveryCode] = [],
            webauthn: [WebAuthnCredential] = [], phones: [PhoneFactor] = [], reenrollRequired: Bool = false
        ) {
            self.totp = totp
            self.hotp = hotp
            self.recoveryCodes = recoveryCodes
            self.webauthn = webauthn
            self.phones = phones
            self.reenrollRequired = reenrollRequired
        }

        public init(from decoder: any Decoder) throws {
            let values = try decoder.container(keyedBy: CodingKeys.self)
            totp = try values.decode(.totp, default: [])
            hotp = try values.decode(.hotp, default: [])
            recoveryCodes = try values.decode(.recoveryCodes, default: [])
            webauthn = try values.decode(.webauthn, default: [])
            phones = try values.decode(.phones, default: [])
            reenrollRequired = try values.decode(.reenrollRequired, default: false)
        }

        public var isEnrolled: Bool { !totp.isEmpty || !hotp.isEmpty || !webauthn.isEmpty || !phones.isEmpty }
    }

    public struct TOTPFactor: Codable, Equatable, Sendable {
        /// Base32 (RFC 4648, no padding), whatever the legacy encoding was.
        public var secret: String
        public var digits: Int
        public var period: Int
        /// `SHA1`, `SHA256` or `SHA512`.
        public var algorithm: String
        /// The device name the user sees ("Work phone").
        public var label: String?
        /// An unconfirmed factor was enrolled but never proved with a code.
        public var confirmed: Bool
        /// The time step (`(unix time - t0) / period`) of the last accepted
        /// code; the new platform must refuse that step and earlier ones
        /// (RFC 6238 section 5.2).
        public var lastUsedStep: Int64?
        /// Clock drift learned for this device, in steps.
        public var drift: Int
        /// RFC 6238 `T0`, Unix seconds.
        public var t0: Int64
        /// Steps either side of now that are accepted; nil when legacy did not say.
        public var window: Int?
        public var createdAt: Date?
        public var lastUsedAt: Date?

        public init(
            secret: String, digits: Int = 6, period: Int = 30, algorithm: String = "SHA1", label: String? = nil,
            confirmed: Bool = true, lastUsedStep: Int64? = nil, drift: Int = 0, t0: Int64 = 0, window: Int? = nil,
            createdAt: Date? = nil, lastUsedAt: Date? = nil
        ) {
            self.secret = secret
            self.digits = digits
            self.period = period
            self.algorithm = algorithm
            self.label = label
            self.confirmed = confirmed
            self.lastUsedStep = lastUsedStep
            self.drift = drift
            self.t0 = t0
            self.window = window
            self.createdAt = createdAt
            self.lastUsedAt = lastUsedAt
        }

        public init(from decoder: any Decoder) throws {
            let values = try decoder.container(keyedBy: CodingKeys.self)
            secret = try values.decode(String.self, forKey: .secret)
            digits = try values.decode(.digits, default: 6)
            period = try values.decode(.period, default: 30)
            algorithm = try values.decode(.algorithm, default: "SHA1")
            label = try values.decodeIfPresent(String.self, forKey: .label)
            confirmed = try values.decode(.confirmed, default: true)
            lastUsedStep = try values.decodeIfPresent(Int64.self, forKey: .lastUsedStep)
            drift = try values.decode(.drift, default: 0)
            t0 = try values.decode(.t0, default: 0)
            window = try values.decodeIfPresent(Int.self, forKey: .window)
            createdAt = try values.decodeIfPresent(Date.self, forKey: .createdAt)
            lastUsedAt = try values.decodeIfPresent(Date.self, forKey: .lastUsedAt)
        }
    }

    /// RFC 4226 counter-based one-time passwords.
    public struct HOTPFactor: Codable, Equatable, Sendable {
        /// Base32, as for TOTP.
        public var secret: String
        /// The next counter value the platform expects.
        public var counter: Int64
        public var digits: Int
        public var algorithm: String
        public var label: String?
        public var confirmed: Bool
        /// Counter values ahead of `counter` that are accepted (look-ahead).
        public var window: Int?
        public var createdAt: Date?
        public var lastUsedAt: Date?

        public init(
            secret: String, counter: Int64, digits: Int = 6, algorithm: String = "SHA1", label: String? = nil,
            confirmed: Bool = true, window: Int? = nil, createdAt: Date? = nil, lastUsedAt: Date? = nil
        ) {
            self.secret = secret
            self.counter = counter
            self.digits = digits
            self.algorithm = algorithm
            self.label = label
            self.confirmed = confirmed
            self.window = window
            self.createdAt = createdAt
            self.lastUsedAt = lastUsedAt
        }
    }

    public struct RecoveryCode: Codable, Equatable, Sendable {
        /// As the legacy platform stores it (usually a digest), carried verbatim.
        public var code: String
        /// A used code is carried so the new platform can show how many are
        /// left and refuse it; it never becomes usable again.
        public var used: Bool
        public var usedAt: Date?

        public init(code: String, used: Bool = false, usedAt: Date? = nil) {
            self.code = code
            self.used = used
            self.usedAt = usedAt
        }

        public init(from decoder: any Decoder) throws {
            if let code = try? decoder.singleValueContainer().decode(String.self) {
                self.init(code: code)
                return
            }
            let values = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                code: try values.decode(String.self, forKey: .code), used: try values.decode(.used, default: false),
                usedAt: try values.decodeIfPresent(Date.self, forKey: .usedAt))
        }
    }

    public struct WebAuthnCredential: Codable, Equatable, Sendable {
        public var credentialID: String
        public var publicKey: String
        public var signCount: Int
        public var transports: [String]
        /// The authenticator model's AAGUID.
        public var aaguid: String?
        public var label: String?
        /// WebAuthn's BE and BS flags: may be and is backed up (a passkey).
        public var backupEligible: Bool?
        public var backedUp: Bool?
        public var createdAt: Date?
        public var lastUsedAt: Date?

        public init(
            credentialID: String, publicKey: String, signCount: Int, transports: [String] = [], aaguid: String? = nil,
            label: String? = nil, backupEligible: Bool? = nil, backedUp: Bool? = nil, createdAt: Date? = nil,
            lastUsedAt: Date? = nil
        ) {
            self.credentialID = credentialID
            self.publicKey = publicKey
            self.signCount = signCount
            self.transports = transports
            self.aaguid = aaguid
            self.label = label
            self.backupEligible = backupEligible
            self.backedUp = backedUp
            self.createdAt = createdAt
            self.lastUsedAt = lastUsedAt
        }

        public init(from decoder: any Decoder) throws {
            let values = try decoder.container(keyedBy: CodingKeys.self)
            credentialID = try values.decode(String.self, forKey: .credentialID)
            publicKey = try values.decode(String.self, forKey: .publicKey)
            signCount = try values.decode(.signCount, default: 0)
            transports = try values.decode(.transports, default: [])
            aaguid = try values.decodeIfPresent(String.self, forKey: .aaguid)
            label = try values.decodeIfPresent(String.self, forKey: .label)
            backupEligible = try values.decodeIfPresent(Bool.self, forKey: .backupEligible)
            backedUp = try values.decodeIfPresent(Bool.self, forKey: .backedUp)
            createdAt = try values.decodeIfPresent(Date.self, forKey: .createdAt)
            lastUsedAt = try values.decodeIfPresent(Date.self, forKey: .lastUsedAt)
        }
    }

    /// An SMS or voice factor.
    public struct PhoneFactor: Codable, Equatable, Sendable {
        public var number: String
        /// Whether the user proved they hold the number; a legacy store that
        /// does not say is taken to have proved it at enrollment.
        public var verified: Bool
        public var label: String?

        public init(number: String, verified: Bool = true, label: String? = nil) {
            self.number = number
            self.verified = verified
            self.label = label
        }

        public init(from decoder: any Decoder) throws {
            if let number = try? decoder.singleValueContainer().decode(String.self) {
                self.init(number: number)
                return
            }
            let values = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                number: try values.decode(String.self, forKey: .number),
                verified: try values.decode(.verified, default: true),
                label: try values.decodeIfPresent(String.self, forKey: .label))
        }
    }
}

extension KeyedDecodingContainer {
    /// A field added after records were first sealed: absent means its default.
    func decode<Value: Decodable>(_ key: Key, default value: Value) throws -> Value {
        try decodeIfPresent(Value.self, forKey: key) ?? value
    }
}
