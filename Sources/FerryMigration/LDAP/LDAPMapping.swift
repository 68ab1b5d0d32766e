import FerryConfig
import Foundation

/// How a directory entry becomes a legacy account: which attribute fills
/// which canonical field (`[legacy.ldap] attributes` over the inetOrgPerson
/// defaults), the password policy's lock, groups as roles, and every other
/// user attribute carried as it is.
struct LDAPMapping: Sendable {
    static let defaults: [String: String] = [
        "username": "uid", "email": "mail", "given_name": "givenName", "family_name": "sn",
        "phone": "telephoneNumber", "locale": "preferredLanguage", "roles": "memberOf",
        "created_at": "createTimestamp", "password_hash": "userPassword",
    ]

    /// Directory bookkeeping and password-policy state: never carried to the
    /// new platform as the customer's own attributes.
    static let bookkeeping: Set<String> = [
        "objectclass", "structuralobjectclass", "entrydn", "entrycsn", "entryuuid", "subschemasubentry",
        "hassubordinates", "creatorsname", "modifiersname", "modifytimestamp", "createtimestamp", "contextcsn",
        "userpassword", "memberof", "authpassword",
    ]

    let fields: [String: String]
    let idAttribute: String
    let verification: LDAPSourceSettings.LDAPVerification
    let activeStatus: String

    init(settings: LDAPSourceSettings, activeStatuses: [String]) {
        var fields = Self.defaults
        for mapping in settings.attributes { fields[mapping.field] = mapping.attribute }
        self.fields = fields
        idAttribute = settings.idAttribute
        verification = settings.verify
        activeStatus = activeStatuses.first ?? "active"
    }

    /// The attributes a search asks for: every user attribute and every
    /// operational one (`memberOf`, `entryUUID`, `pwdAccountLockedTime` are operational).
    static let requested = ["*", "+"]

    func account(_ entry: LDAPEntry) throws(LegacySourceError) -> LegacyAccount {
        let text = { (field: String) in fields[field].flatMap { entry.text($0) } }
        let legacyID = entry.text(idAttribute) ?? entry.dn
        let hash = text("password_hash") ?? ""
        // ppolicy keeps the lock as an operational attribute; "000001010000Z"
        // means locked until an administrator unlocks.
        let locked = !entry.values("pwdAccountLockedTime").isEmpty
        var createdAt: Date?
        if let value = text("created_at") {
            guard let date = Self.generalizedTime(value) ?? LegacyDate.parse(value) else {
                throw .badRow("attribute `\(fields["created_at"]!)` of \(legacyID) is not a date Ferry can read")
            }
            createdAt = date
        }
        var account = LegacyAccount(
            legacyID: legacyID, username: text("username"), email: text("email"), emailVerified: false,
            phone: text("phone"), passwordHash: hash, salt: nil, status: locked ? "locked" : activeStatus,
            active: !locked,
            profile: .init(givenName: text("given_name"), familyName: text("family_name"), locale: text("locale")),
            createdAt: createdAt, lastLoginAt: nil, mfa: .init(), consents: [],
            attributes: carried(entry), roles: roles(entry))
        account.hasSaltColumn = false
        account.directoryDN = entry.dn
        account.judgedByLegacy = verification == .bind || (verification == .auto && hash.isEmpty)
        return account
    }

    /// Groups as roles: a DN's first value (`cn=staff,ou=groups,…` → `staff`),
    /// any other value as it is.
    func roles(_ entry: LDAPEntry) -> [String] {
        guard let attribute = fields["roles"] else { return [] }
        return entry.values(attribute).compactMap { String(validating: $0, as: UTF8.self) }.map(Self.firstRDNValue)
    }

    static func firstRDNValue(_ dn: String) -> String {
        guard let equals = dn.firstIndex(of: "="), dn[..<equals].allSatisfy({ $0.isLetter || $0.isNumber }) else {
            return dn
        }
        var value = ""
        var escaped = false
        for character in dn[dn.index(after: equals)...] {
            if escaped {
                value.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "," || character == "+" {
                break
            } else {
                value.append(character)
            }
        }
        return value
    }

    /// Every user attribute not mapped onto a canonical field, first value,
    /// text only (a `jpegPhoto` is not a text attribute and is left behind).
    func carried(_ entry: LDAPEntry) -> [String: AttributeValue] {
        let mapped = Set(fields.values.map { $0.lowercased() } + [idAttribute.lowercased()])
        var attributes: [String: AttributeValue] = [:]
        for (name, values) in entry.attributes {
            let lower = name.lowercased()
            guard !mapped.contains(lower), !Self.bookkeeping.contains(lower), !lower.hasPrefix("pwd"),
                let first = values.first, let text = String(validating: first, as: UTF8.self)
            else { continue }
            attributes[name] = .text(text)
        }
        return attributes
    }

    /// RFC 4517 GeneralizedTime as directories write it: `20240501102030Z`,
    /// with optional fractions and an offset instead of `Z`.
    static func generalizedTime(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 15, bytes[0..<14].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let digits = String(decoding: bytes[0..<14], as: UTF8.self)
        var rest = Substring(String(decoding: bytes[14...], as: UTF8.self))
        var fraction = ""
        if rest.first == "." || rest.first == "," {
            rest = rest.dropFirst()
            fraction = String(rest.prefix { $0.isNumber })
            rest = rest.dropFirst(fraction.count)
        }
        let zone: String
        switch rest {
        case "Z": zone = "+00:00"
        case _ where rest.count == 5 && (rest.first == "+" || rest.first == "-"):
            zone = "\(rest.prefix(3)):\(rest.suffix(2))"
        default: return nil
        }
        func part(_ start: Int, _ length: Int) -> Substring {
            let from = digits.index(digits.startIndex, offsetBy: start)
            return digits[from..<digits.index(from, offsetBy: length)]
        }
        let iso =
            "\(part(0, 4))-\(part(4, 2))-\(part(6, 2))T\(part(8, 2)):\(part(10, 2)):\(part(12, 2))"
            + (fraction.isEmpty ? "" : ".\(fraction)") + zone
        return LegacyDate.parse(iso)
    }
}
