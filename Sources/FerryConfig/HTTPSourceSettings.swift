/// `[legacy.http]`: a SaaS legacy platform with no database to read — its
/// admin API (the Auth0 Management API's shape by default) answers for a
/// user by identifier, and JSON pointers map the answer onto the canonical
/// record.
public struct HTTPSourceSettings: Equatable, Sendable {
    /// `{identifier}` is replaced by the identifier, percent-encoded. E.g.
    /// `https://TENANT/api/v2/users-by-email?email={identifier}`.
    public internal(set) var userURL = ""
    /// Where the user is in the answer ("" the whole answer). An array there
    /// holds the matches: none is nobody, two are ambiguous.
    public internal(set) var userPointer = ""
    /// `{legacy_id}`: the user's roles, an array (Auth0's `/roles`).
    public internal(set) var rolesURL: String?
    /// Within each role: its name ("" when the elements are strings).
    public internal(set) var rolePointer = "/name"
    /// `{legacy_id}`: the user's enrolled methods (Auth0's
    /// `/authentication-methods`); their kinds are carried as `legacy_mfa`.
    public internal(set) var mfaURL: String?
    /// Within each method: its kind (`totp`, `phone`, `webauthn-roaming` …).
    public internal(set) var mfaKindPointer = "/type"
    /// Within the user: an array of consents with `purpose`, `client`,
    /// `version`, `granted`, `granted_at`.
    public internal(set) var consentsPointer: String?
    /// `{page}` (from 0): every user, a page at a time, for `ferry status`
    /// and `ferry stragglers`. E.g. `…/api/v2/users?page={page}&per_page=100`.
    public internal(set) var allUsersURL: String?
    /// Where a page's users are ("" the whole answer); an empty page ends it.
    public internal(set) var allUsersPointer = ""
    /// Overrides of the default pointers, and more carried attributes.
    public internal(set) var fields: [HTTPFieldMapping] = []
    /// A static bearer token (a Management API token)…
    public internal(set) var token: Secret?
    /// …or one fetched with the OAuth 2.0 client-credentials grant.
    public internal(set) var tokenURL: EndpointURL?
    public internal(set) var clientID: String?
    public internal(set) var clientSecret: Secret?
    public internal(set) var audience: String?
    public internal(set) var timeout: Duration = .seconds(5)

    public init() {}

    /// The Auth0 Management API's user, the default mapping.
    public static let defaultFields: [HTTPFieldMapping] = [
        .init(name: "legacy_id", pointer: "/user_id"), .init(name: "username", pointer: "/username"),
        .init(name: "email", pointer: "/email"), .init(name: "email_verified", pointer: "/email_verified"),
        .init(name: "phone", pointer: "/phone_number"), .init(name: "given_name", pointer: "/given_name"),
        .init(name: "family_name", pointer: "/family_name"), .init(name: "locale", pointer: "/locale"),
        .init(name: "created_at", pointer: "/created_at"), .init(name: "last_login_at", pointer: "/last_login"),
        .init(name: "blocked", pointer: "/blocked"),
    ]

    /// The defaults with `fields` laid over them, by name.
    public var mapping: [HTTPFieldMapping] {
        var mapping = Self.defaultFields.filter { field in !fields.contains { $0.name == field.name } }
        mapping += fields
        return mapping
    }
}

/// One entry of `[legacy.http] fields`: `NAME=/pointer`. Canonical names
/// (`legacy_id`, `username`, `email`, `email_verified`, `phone`,
/// `password_hash`, `salt`, `status`, `blocked`, `given_name`, `family_name`,
/// `locale`, `created_at`, `last_login_at`) fill the record; any other name
/// is carried as an attribute.
public struct HTTPFieldMapping: Equatable, Sendable, CustomStringConvertible {
    public var name: String
    public var pointer: String

    public init(name: String, pointer: String) {
        self.name = name
        self.pointer = pointer
    }

    public var description: String { "\(name)=\(pointer)" }

    static func parse(_ text: String) -> (HTTPFieldMapping?, String?) {
        let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, !parts[0].isEmpty else {
            return (nil, "must be NAME=/pointer, e.g. username=/nickname")
        }
        guard parts[0].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            return (nil, "must name the field with letters, digits and `_`")
        }
        guard parts[1].hasPrefix("/") else {
            return (nil, "must map to a JSON pointer starting with `/` (RFC 6901), e.g. username=/nickname")
        }
        return (HTTPFieldMapping(name: parts[0], pointer: parts[1]), nil)
    }
}
