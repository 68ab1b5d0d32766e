import FerryConfig
import Foundation

/// An admin API's user (decoded JSON) as a legacy account, and the other pure
/// pieces of the HTTP source. Nothing here does I/O.
enum HTTPUser {
    static let canonical: Set<String> = [
        "legacy_id", "username", "email", "email_verified", "phone", "password_hash", "salt", "status", "blocked",
        "given_name", "family_name", "locale", "created_at", "last_login_at",
    ]

    /// `template` with `{name}` replaced by `value`, percent-encoded so that it
    /// stays one path segment or one query value (`/`, `?`, `&`, `#`, `.` and
    /// every other reserved byte escaped).
    static func url(_ template: String, _ name: String, _ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_~")
        let encoded = value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
        return template.replacingOccurrences(of: "{\(name)}", with: encoded)
    }

    /// The users at `pointer` in `document`: an array's objects, or the one
    /// object there.
    static func users(at pointer: String, in document: Any) -> [[String: Any]] {
        guard let found = JSONPointer.resolve(pointer, in: document) else { return [] }
        if let array = found as? [Any] { return array.compactMap { $0 as? [String: Any] } }
        if let object = found as? [String: Any] { return [object] }
        return []
    }

    /// Whether the user the API answered carries `identifier` as username or
    /// email: a search that matched more widely (a wildcard, a query-language
    /// character in the identifier) never hands over someone else.
    static func carries(_ identifier: String, _ account: LegacyAccount, caseSensitive: Bool) -> Bool {
        let email = account.email?.lowercased()
        if email == identifier.lowercased() { return true }
        guard let username = account.username else { return false }
        return caseSensitive ? username == identifier : username.lowercased() == identifier.lowercased()
    }

    static func account(
        _ user: [String: Any], mapping: [HTTPFieldMapping], consentsPointer: String?, activeStatuses: [String]
    ) throws(LegacySourceError) -> LegacyAccount {
        var values: [String: Any] = [:]
        for field in mapping {
            if let value = JSONPointer.resolve(field.pointer, in: user), !(value is NSNull) {
                values[field.name] = value
            }
        }
        guard let legacyID = text(values["legacy_id"]), !legacyID.isEmpty else {
            throw .badRow("the admin API answered a user without `legacy_id` (\(pointer(of: "legacy_id", mapping)))")
        }
        let owner = "legacy user \(legacyID)"
        func date(_ name: String) throws(LegacySourceError) -> Date? {
            guard let value = values[name] else { return nil }
            if let seconds = value as? Double, !isBoolean(value) { return LegacyDate.fromUnix(seconds) }
            guard let text = value as? String, let date = LegacyDate.parse(text) else {
                throw .badRow("`\(name)` of \(owner) is not a date")
            }
            return date
        }
        let blocked = flag(values["blocked"]) ?? false
        let status = text(values["status"])
        let active =
            !blocked && (status.map { activeStatuses.map { $0.lowercased() }.contains($0.lowercased()) } ?? true)
        var carried: [String: AttributeValue] = [:]
        for field in mapping where !canonical.contains(field.name) {
            carried[field.name] = values[field.name].map(attribute) ?? .null
        }
        var account = LegacyAccount(
            legacyID: legacyID, username: text(values["username"]), email: text(values["email"]),
            emailVerified: flag(values["email_verified"]) ?? false, phone: text(values["phone"]),
            passwordHash: text(values["password_hash"]) ?? "", salt: text(values["salt"]),
            status: status ?? (blocked ? "blocked" : "active"), active: active,
            profile: .init(
                givenName: text(values["given_name"]), familyName: text(values["family_name"]),
                locale: text(values["locale"])),
            createdAt: try date("created_at"), lastLoginAt: try date("last_login_at"), mfa: .init(),
            consents: try consents(consentsPointer.flatMap { JSONPointer.resolve($0, in: user) }, of: owner),
            attributes: carried)
        account.hasSaltColumn = values["salt"] != nil
        // No hash in the answer (SaaS platforms never export one): the
        // platform judges the password.
        account.judgedByLegacy = account.passwordHash.isEmpty
        return account
    }

    /// Consents kept in the user (Auth0 keeps them in `user_metadata`):
    /// objects with `purpose`, `client`, `version`, `granted`, `granted_at`.
    static func consents(_ value: Any?, of owner: String) throws(LegacySourceError) -> [CanonicalIdentity.ConsentGrant]
    {
        guard let value else { return [] }
        guard let array = value as? [Any] else { throw .badRow("the consents of \(owner) are not an array") }
        return try array.map { element throws(LegacySourceError) in
            guard let consent = element as? [String: Any], let purpose = text(consent["purpose"]) else {
                throw .badRow("a consent of \(owner) has no `purpose`")
            }
            var at: Date?
            if let when = text(consent["granted_at"]) {
                guard let date = LegacyDate.parse(when) else { throw .badRow("`granted_at` of \(owner) is not a date") }
                at = date
            }
            return CanonicalIdentity.ConsentGrant(
                purpose: purpose, client: text(consent["client"]), version: text(consent["version"]),
                granted: flag(consent["granted"]) ?? false, at: at)
        }
    }

    /// The user's enrolled methods (Auth0's `/authentication-methods` shape)
    /// as factors. A phone method is its number, which the API hands over;
    /// every other method's secret stays on the platform, so it is named as
    /// not carried and `unsupported_mfa` decides. The password (a primary
    /// method, not a second factor) and half-finished enrollments
    /// (`confirmed: false`) are no factors at all.
    static func factors(_ methods: [Any], kindPointer: String) -> (
        kinds: [String], mfa: CanonicalIdentity.MFA, unexported: [String]
    ) {
        var kinds: [String] = []
        var mfa = CanonicalIdentity.MFA()
        var unexported: [String] = []
        for method in methods {
            guard let kind = text(JSONPointer.resolve(kindPointer, in: method)), kind != "password",
                flag(JSONPointer.resolve("/confirmed", in: method)) != false
            else { continue }
            kinds.append(kind)
            if kind == "phone", let number = text(JSONPointer.resolve("/phone_number", in: method)), !number.isEmpty {
                mfa.phones.append(.init(number: number, label: text(JSONPointer.resolve("/name", in: method))))
            } else if !unexported.contains(kind) {
                unexported.append(kind)
            }
        }
        return (kinds, mfa, unexported)
    }

    static func text(_ value: Any?) -> String? { JSONPointer.text(value) }

    static func flag(_ value: Any?) -> Bool? {
        switch value {
        case let number as NSNumber: return number.boolValue
        case let text as String: return ["true", "1", "yes"].contains(text.lowercased())
        default: return nil
        }
    }

    static func attribute(_ value: Any) -> AttributeValue {
        switch value {
        case let text as String: return .text(text)
        case let number as NSNumber:
            if isBoolean(number) { return .boolean(number.boolValue) }
            if let whole = Int64(exactly: number.doubleValue), !number.stringValue.contains(".") {
                return .integer(whole)
            }
            return .number(number.doubleValue)
        default:
            // Objects and arrays travel as their JSON.
            let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data()
            return .text(String(decoding: data, as: UTF8.self))
        }
    }

    static func isBoolean(_ value: Any) -> Bool { JSONPointer.boolean(value) != nil }

    private static func pointer(of name: String, _ mapping: [HTTPFieldMapping]) -> String {
        mapping.first { $0.name == name }.map(\.pointer) ?? "unmapped"
    }
}
