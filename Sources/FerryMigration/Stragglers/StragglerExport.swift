import FerryConfig
import Foundation
import PasswordHashes

/// One legacy user not migrated yet, as exported.
public struct Straggler: Sendable {
    public var account: LegacyAccount
    /// The catalog's scheme id, or `unknown`.
    public var scheme: String
    public var portable: PortableHash

    public init(account: LegacyAccount, catalog: HashCatalog, configured: ConfiguredHashFormat?) {
        self.account = account
        scheme =
            (try? catalog.parse(
                account.passwordHash, salt: account.verificationSalt, username: account.username
            ).scheme) ?? "unknown"
        portable = PortableHash.read(
            hash: account.passwordHash, salt: account.salt, scheme: scheme, configured: configured)
    }

    /// The identifier people know the user by.
    public var identifier: String { account.email ?? account.username ?? account.legacyID }
}

/// The shapes `ferry stragglers` writes: plain exports and the bulk-import
/// formats of common platforms. A user whose hash a platform cannot take is
/// exported without a password (they get a reset there) and counted.
public enum StragglerFormat: String, CaseIterable, Sendable {
    /// identifier, legacy_id, username, email, scheme, password_hash, salt, last_login_at.
    case csv
    /// One JSON object per line with the CSV's fields.
    case jsonl
    /// Auth0 bulk user import: a JSON array of users with `custom_password_hash`.
    case auth0
    /// Okta: one Create User request body per line, `credentials.password.hash`.
    case okta
    /// Ory Kratos identity import: a JSON array of identities with
    /// `credentials.password.config.hashed_password`.
    case kratos

    /// Whether the platform can take this hash.
    public func accepts(_ hash: PortableHash) -> Bool {
        switch self {
        case .csv, .jsonl: return true
        case .auth0: return Self.auth0Hash(hash) != nil
        case .okta: return Self.oktaHash(hash) != nil
        case .kratos: return Self.kratosHash(hash) != nil
        }
    }

    // MARK: Writing

    /// Text before the first record, between records, and after the last.
    public var opening: String {
        switch self {
        case .csv: return "identifier,legacy_id,username,email,scheme,password_hash,salt,last_login_at\n"
        case .auth0, .kratos: return "[\n"
        case .jsonl, .okta: return ""
        }
    }

    public var separator: String {
        switch self {
        case .auth0, .kratos: return ",\n"
        default: return ""
        }
    }

    public var closing: String {
        switch self {
        case .auth0, .kratos: return "\n]\n"
        default: return ""
        }
    }

    /// One user in this format (CSV and JSON Lines end with a newline).
    public func record(_ user: Straggler) -> String {
        let account = user.account
        let lastLogin = account.lastLoginAt.map { ISO8601DateFormatter().string(from: $0) }
        switch self {
        case .csv:
            return [
                user.identifier, account.legacyID, account.username ?? "", account.email ?? "", user.scheme,
                account.passwordHash, account.salt ?? "", lastLogin ?? "",
            ].map(Self.csvField).joined(separator: ",") + "\n"
        case .jsonl:
            return Self.json([
                "identifier": user.identifier, "legacy_id": account.legacyID, "username": account.username,
                "email": account.email, "scheme": user.scheme, "password_hash": account.passwordHash,
                "salt": account.salt, "last_login_at": lastLogin,
            ]) + "\n"
        case .auth0:
            var object: [String: Any?] = [
                "email": account.email, "email_verified": account.emailVerified, "username": account.username,
                "given_name": account.profile.givenName, "family_name": account.profile.familyName,
                "app_metadata": ["legacy_id": account.legacyID],
            ]
            if let hash = Self.auth0Hash(user.portable) { object["custom_password_hash"] = hash }
            return Self.json(object)
        case .okta:
            var body: [String: Any?] = [
                "profile": [
                    "login": account.email ?? account.username ?? account.legacyID, "email": account.email,
                    "firstName": account.profile.givenName, "lastName": account.profile.familyName,
                    "legacyId": account.legacyID,
                ] as [String: Any?]
            ]
            if let hash = Self.oktaHash(user.portable) { body["credentials"] = ["password": ["hash": hash]] }
            return Self.json(body) + "\n"
        case .kratos:
            var identity: [String: Any?] = [
                "schema_id": "default",
                "external_id": account.legacyID,
                "traits": ["email": account.email, "username": account.username] as [String: Any?],
                "metadata_admin": ["legacy_id": account.legacyID],
            ]
            if let hash = Self.kratosHash(user.portable) {
                identity["credentials"] = ["password": ["config": ["hashed_password": hash]]]
            }
            return Self.json(identity)
        }
    }

    // MARK: Platforms' hash shapes

    static func auth0Hash(_ hash: PortableHash) -> [String: Any]? {
        switch hash {
        case .bcrypt(let text, _):
            return ["algorithm": "bcrypt", "hash": ["value": text]]
        case .argon2(let text, _):
            return ["algorithm": "argon2", "hash": ["value": text, "encoding": "utf8"]]
        case .digest(let digest, let bytes, let salt, let saltFirst):
            var object: [String: Any] = [
                "algorithm": digest.rawValue, "hash": ["value": Hex.encode(bytes), "encoding": "hex"],
            ]
            if let salt {
                object["salt"] = [
                    "value": Hex.encode(salt), "encoding": "hex", "position": saltFirst ? "prefix" : "suffix",
                ]
            }
            return object
        case .pbkdf2(let digest, let iterations, let salt, let key):
            return [
                "algorithm": "pbkdf2",
                "hash": [
                    "value":
                        "$pbkdf2-\(digest.rawValue)$i=\(iterations),l=\(key.count)$\(base64NoPad(salt))$\(base64NoPad(key))",
                    "encoding": "utf8",
                ],
            ]
        case .crypt, .notPortable:
            return nil
        }
    }

    static func oktaHash(_ hash: PortableHash) -> [String: Any]? {
        switch hash {
        case .bcrypt(let text, let cost):
            // $2b$NN$ + 22 characters of salt + 31 of hash.
            let body = text.dropFirst(7)
            return [
                "algorithm": "BCRYPT", "workFactor": cost, "salt": String(body.prefix(22)),
                "value": String(body.dropFirst(22)),
            ]
        case .digest(let digest, let bytes, let salt, let saltFirst):
            let names: [PortableHash.Digest: String] = [
                .md5: "MD5", .sha1: "SHA-1", .sha256: "SHA-256", .sha512: "SHA-512",
            ]
            var object: [String: Any] = ["algorithm": names[digest]!, "value": Data(bytes).base64EncodedString()]
            if let salt {
                object["salt"] = Data(salt).base64EncodedString()
                object["saltOrder"] = saltFirst ? "PREFIX" : "POSTFIX"
            }
            return object
        case .pbkdf2(let digest, let iterations, let salt, let key):
            return [
                "algorithm": "PBKDF2", "digestAlgorithm": digest == .sha1 ? "SHA1_HMAC" : "SHA256_HMAC",
                "iterationCount": iterations, "keySize": key.count, "salt": Data(salt).base64EncodedString(),
                "value": Data(key).base64EncodedString(),
            ]
        case .argon2, .crypt, .notPortable:
            return nil
        }
    }

    static func kratosHash(_ hash: PortableHash) -> String? {
        switch hash {
        case .bcrypt(let text, _): return text
        case .argon2(let text, let variant): return variant == "argon2d" ? nil : text
        case .crypt(let text, let kind):
            return "$\(kind.rawValue)-crypt" + text.dropFirst(2)
        case .digest(let digest, let bytes, let salt, let saltFirst):
            let encoded = Data(bytes).base64EncodedString()
            guard let salt else {
                if digest == .md5 { return "$md5$\(encoded)" }
                return "$\(digest.rawValue)$pf=\(Data("{PASSWORD}".utf8).base64EncodedString())$$\(encoded)"
            }
            let template = saltFirst ? "{SALT}{PASSWORD}" : "{PASSWORD}{SALT}"
            return
                "$\(digest.rawValue)$pf=\(Data(template.utf8).base64EncodedString())$\(Data(salt).base64EncodedString())$\(encoded)"
        case .pbkdf2(let digest, let iterations, let salt, let key):
            return "$pbkdf2-\(digest.rawValue)$i=\(iterations),l=\(key.count)$\(base64NoPad(salt))$\(base64NoPad(key))"
        case .notPortable:
            return nil
        }
    }

    // MARK: Encoding

    static func base64NoPad(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Sorted-key JSON without nulls.
    static func json(_ object: [String: Any?]) -> String {
        let data = try? JSONSerialization.data(
            withJSONObject: compact(object) ?? [String: Any](), options: [.sortedKeys, .withoutEscapingSlashes])
        return data.flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }

    private static func compact(_ value: Any?) -> Any? {
        guard let value else { return nil }
        // A nil from a `[String: Any?]` arrives boxed in `Any`: still nil.
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return nil }
            return compact(wrapped)
        }
        if let object = value as? [String: Any?] { return object.compactMapValues { compact($0) } }
        if let object = value as? [String: Any] { return object.compactMapValues { compact($0) } }
        return value
    }
}
