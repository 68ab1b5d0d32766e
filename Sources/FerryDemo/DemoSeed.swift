import Foundation
import PasswordHashes

/// Fills the sample legacy platform with users whose passwords are stored in a
/// rotation of real legacy formats, some with TOTP and recovery codes, most
/// with consent records.
public enum DemoSeed {
    public struct Credential: Sendable {
        public var username: String
        public var password: String
        public var format: String
        /// Base32 TOTP secret, for users with a second factor.
        public var totpSecret: String?
        public var recoveryCode: String?
        public var isStaff: Bool
        public var roles: [String]
    }

    static let formats = [
        "md5 hex", "salted sha1", "django pbkdf2_sha256", "bcrypt $2y$", "phpass $P$", "sha512-crypt $6$",
    ]
    static let givenNames = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
    static let familyNames = [
        "Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Berners-Lee",
    ]

    /// Adds `count` users and returns their credentials. Costs are those of the
    /// originating systems' older defaults, so seeding takes seconds, not minutes.
    public static func seed(_ platform: LegacyPlatform, count: Int, now: Date = Date()) throws -> [Credential] {
        var credentials: [Credential] = []
        for index in 0..<count {
            let format = formats[index % formats.count]
            let given = givenNames[index % givenNames.count]
            let family = familyNames[(index / givenNames.count) % familyNames.count]
            let username =
                "\(given.lowercased()).\(family.lowercased().replacingOccurrences(of: "-", with: ""))\(index)"
            let password = "demo-\(given.lowercased())-\(index)"
            var salt: String?
            let hash: String
            switch index % formats.count {
            case 0: hash = LegacyHashWriter.md5Hex(password)
            case 1:
                salt = Base32.encode(secureRandomBytes(5)).lowercased()
                hash = LegacyHashWriter.saltedSHA1(password, salt: salt!)
            case 2: hash = LegacyHashWriter.djangoPBKDF2(password, iterations: 20_000)
            case 3: hash = LegacyHashWriter.bcrypt2y(password, cost: 8) ?? LegacyHashWriter.md5Hex(password)
            case 4: hash = LegacyHashWriter.phpass(password, log2Rounds: 8)
            default: hash = LegacyHashWriter.sha512Crypt(password) ?? LegacyHashWriter.md5Hex(password)
            }
            var totp: TOTP?
            var recovery: [String] = []
            // Every fourth user has TOTP, so every format has users with and without it.
            if index % 4 == 1 {
                totp = TOTP(secret: secureRandomBytes(20))
                recovery = (0..<4).map { _ in Base32.encode(secureRandomBytes(5)).lowercased() }
            }
            // Every sixth user works in support (staff); the last of every twelve
            // is an administrator.
            let isStaff = index % 6 == 5
            let roles = ["customer"] + (isStaff ? ["support"] : []) + (index % 12 == 11 ? ["admin"] : [])
            var consents: [Consent] = []
            if index % 4 != 3 {
                consents.append(
                    Consent(
                        purpose: "terms-of-service", client: "web", version: "2019-03", granted: true,
                        grantedAt: now.addingTimeInterval(-Double(86_400 * (400 + index)))))
                consents.append(
                    Consent(
                        purpose: "marketing-email", client: index % 2 == 0 ? "web" : "ios", version: "v2",
                        granted: index % 2 == 0, grantedAt: now.addingTimeInterval(-Double(86_400 * (100 + index)))))
            }
            try platform.addUser(
                LegacyUser(
                    username: username, email: "\(username)@example.com", passwordHash: hash, salt: salt,
                    active: index % 50 != 49, givenName: given, familyName: family, totp: totp,
                    totpLabel: totp.map { _ in index % 8 == 1 ? "\(given)'s phone" : "Work tablet" },
                    recoveryCodes: recovery,
                    consents: consents, isStaff: isStaff, roles: roles))
            credentials.append(
                Credential(
                    username: username, password: password, format: format,
                    totpSecret: totp.map { Base32.encode($0.secret) },
                    recoveryCode: recovery.first, isStaff: isStaff, roles: roles))
        }
        return credentials
    }

    static let opaqueFormat = "vault (opaque: legacy's answer decides)"
    static let opaqueNames = [("Katherine", "Johnson"), ("Hedy", "Lamarr"), ("Annie", "Easley"), ("Mary", "Jackson")]

    /// Adds `count` users whose hash is the platform's proprietary `$vault$`
    /// (no export gives Ferry what it needs to verify it): they migrate by
    /// legacy's own answer to the login Ferry forwards.
    public static func seedOpaque(_ platform: LegacyPlatform, count: Int, now: Date = Date()) throws -> [Credential] {
        try (0..<count).map { index in
            let (given, family) = opaqueNames[index % opaqueNames.count]
            let username = "\(given.lowercased()).\(family.lowercased())\(index)"
            let password = "vault-\(given.lowercased())-\(index)"
            try platform.addUser(
                LegacyUser(
                    username: username, email: "\(username)@example.com",
                    passwordHash: LegacyPlatform.vaultHash(password), givenName: given, familyName: family,
                    consents: [
                        Consent(
                            purpose: "terms-of-service", client: "web", version: "2019-03", granted: true,
                            grantedAt: now.addingTimeInterval(-Double(86_400 * (300 + index))))
                    ], roles: ["customer"]))
            return Credential(
                username: username, password: password, format: opaqueFormat, totpSecret: nil, recoveryCode: nil,
                isStaff: false, roles: ["customer"])
        }
    }
}
