import Crypto
import Foundation

/// A Cognito user record (`AdminGetUser` or a `ListUsers` entry) as a legacy
/// account, and the other pure pieces of the Cognito source.
enum CognitoUser {
    /// Standard attributes that fill canonical fields; the rest are carried.
    static let canonical: Set<String> = [
        "sub", "email", "email_verified", "phone_number", "phone_number_verified", "given_name", "family_name",
        "locale",
    ]

    /// Refusals a customer's own input causes: a wrong password, an unknown or
    /// disabled user, too many attempts, a password that must be reset first.
    static let wrongPasswordAnswers: Set<String> = [
        "NotAuthorizedException", "UserNotFoundException", "PasswordResetRequiredException",
        "UserNotConfirmedException",
    ]

    static func account(_ user: [String: Any], attributesKey: String) throws(LegacySourceError) -> LegacyAccount {
        guard let username = user["Username"] as? String else {
            throw .badRow("Cognito answered a user without a Username")
        }
        var values: [String: String] = [:]
        for attribute in user[attributesKey] as? [[String: Any]] ?? [] {
            if let name = attribute["Name"] as? String, let value = attribute["Value"] as? String {
                values[name] = value
            }
        }
        let status = user["UserStatus"] as? String ?? "UNKNOWN"
        let enabled = user["Enabled"] as? Bool ?? true
        var carried: [String: AttributeValue] = [:]
        for (name, value) in values where !canonical.contains(name) {
            carried[name.replacingOccurrences(of: "custom:", with: "custom_")] = .text(value)
        }
        // The methods are named (a `hold_on_legacy = ["cognito_mfa"]` rule can
        // still hold them); what they are decides what is carried.
        let methods =
            (user["UserMFASettingList"] as? [String] ?? [])
            + (user["MFAOptions"] as? [[String: Any]] ?? []).compactMap { $0["DeliveryMedium"] as? String }
        if !methods.isEmpty { carried["cognito_mfa"] = .text(methods.joined(separator: ",")) }
        let factors = Self.factors(
            methods, phone: values["phone_number"], phoneVerified: values["phone_number_verified"])
        var account = LegacyAccount(
            legacyID: values["sub"] ?? username, username: username, email: values["email"],
            emailVerified: values["email_verified"] == "true", phone: values["phone_number"], passwordHash: "",
            salt: nil, status: status.lowercased(), active: enabled && status == "CONFIRMED",
            profile: .init(
                givenName: values["given_name"], familyName: values["family_name"], locale: values["locale"]),
            createdAt: date(user["UserCreateDate"]), lastLoginAt: nil, mfa: factors.mfa, consents: [],
            attributes: carried)
        account.unexportedFactors = factors.unexported
        account.hasSaltColumn = false
        account.judgedByLegacy = true
        return account
    }

    /// Cognito's MFA methods as factors. An SMS factor is the user's phone
    /// number, which Cognito does hand over; a software token's secret (and
    /// an email code's setup) never leaves Cognito, so those are named as
    /// not carried and `unsupported_mfa` decides.
    static func factors(_ methods: [String], phone: String?, phoneVerified: String?) -> (
        mfa: CanonicalIdentity.MFA, unexported: [String]
    ) {
        var mfa = CanonicalIdentity.MFA()
        var unexported: [String] = []
        for method in methods {
            if method == "SMS_MFA" || method == "SMS", let phone, !phone.isEmpty {
                if mfa.phones.isEmpty { mfa.phones = [.init(number: phone, verified: phoneVerified == "true")] }
            } else if !unexported.contains(method) {
                unexported.append(method)
            }
        }
        return (mfa, unexported)
    }

    /// Cognito's JSON dates are Unix seconds with a fraction.
    static func date(_ value: Any?) -> Date? {
        if let seconds = value as? Double { return Date(timeIntervalSince1970: seconds) }
        if let seconds = value as? Int { return Date(timeIntervalSince1970: Double(seconds)) }
        return nil
    }

    /// `SECRET_HASH`: base64(HMAC-SHA256(client secret, username ‖ client id)).
    static func secretHash(username: String, clientID: String, clientSecret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array((username + clientID).utf8), using: SymmetricKey(data: Array(clientSecret.utf8)))
        return Data(mac).base64EncodedString()
    }
}
