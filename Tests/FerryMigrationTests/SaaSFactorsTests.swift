import Foundation
import Testing

@testable import FerryMigration

/// MFA methods of platforms that never hand over a secret: what is carried
/// (a phone number) and what is named as not carried, so `unsupported_mfa`
/// decides instead of the user migrating without a second factor.
struct SaaSFactorsTests {
    @Test(
        arguments: [
            ([], "+15550100", "true", [], []),
            (["SOFTWARE_TOKEN_MFA"], "+15550100", "true", [], ["SOFTWARE_TOKEN_MFA"]),
            (["SMS_MFA"], "+15550100", "true", ["+15550100"], []),
            (["SMS_MFA", "SOFTWARE_TOKEN_MFA", "SMS"], "+15550100", "false", ["+15550100"], ["SOFTWARE_TOKEN_MFA"]),
            // SMS without a number to carry cannot be carried either.
            (["SMS_MFA"], nil, nil, [], ["SMS_MFA"]),
            (["EMAIL_OTP", "EMAIL_OTP"], nil, nil, [], ["EMAIL_OTP"]),
        ] as [([String], String?, String?, [String], [String])])
    func cognitoMethods(methods: [String], phone: String?, verified: String?, phones: [String], unexported: [String]) {
        let factors = CognitoUser.factors(methods, phone: phone, phoneVerified: verified)
        #expect(factors.mfa.phones.map(\.number) == phones)
        #expect(factors.mfa.phones.allSatisfy { $0.verified == (verified == "true") })
        #expect(factors.unexported == unexported)
    }

    /// An `AdminGetUser` answer as AWS documents it.
    @Test func adminGetUserNamesTheSoftwareToken() throws {
        let user: [String: Any] = [
            "Username": "ada", "UserStatus": "CONFIRMED", "Enabled": true,
            "UserAttributes": [
                ["Name": "sub", "Value": "0f1e"], ["Name": "phone_number", "Value": "+15550100"],
                ["Name": "phone_number_verified", "Value": "true"],
            ],
            "UserMFASettingList": ["SOFTWARE_TOKEN_MFA", "SMS_MFA"], "PreferredMfaSetting": "SOFTWARE_TOKEN_MFA",
        ]
        let account = try CognitoUser.account(user, attributesKey: "UserAttributes")
        #expect(account.mfa.phones.map(\.number) == ["+15550100"])
        #expect(account.unexportedFactors == ["SOFTWARE_TOKEN_MFA"])
        #expect(account.factorsNotCarried(targetHolds: [.phone, .totp]) == ["SOFTWARE_TOKEN_MFA"])
        #expect(account.factorsNotCarried(targetHolds: []) == ["phone", "SOFTWARE_TOKEN_MFA"])
        #expect(account.attributes["cognito_mfa"] == .text("SOFTWARE_TOKEN_MFA,SMS_MFA"))
    }

    static var auth0Methods: [[String: Any]] {
        [
            ["id": "password|x", "type": "password", "confirmed": true, "usage": ["primary"]],
            ["id": "totp|a", "type": "totp", "confirmed": true, "name": "Phone app"],
            ["id": "totp|b", "type": "totp", "confirmed": true],
            ["id": "phone|c", "type": "phone", "confirmed": true, "phone_number": "+15550101", "name": "Mobile"],
            ["id": "webauthn-roaming|d", "type": "webauthn-roaming", "confirmed": false],
            ["id": "email|e", "type": "email", "confirmed": true, "email": "ada@example.com"],
            ["id": "phone|f", "type": "phone", "confirmed": true],
        ]
    }

    /// Auth0's `/authentication-methods` shape: the password and an unfinished
    /// enrollment are no factors; a phone is its number; a phone method with
    /// no number, like every authenticator, stays behind.
    @Test func adminAPIMethods() {
        let factors = HTTPUser.factors(Self.auth0Methods, kindPointer: "/type")
        #expect(factors.kinds == ["totp", "totp", "phone", "email", "phone"])
        #expect(factors.mfa.phones.map(\.number) == ["+15550101"])
        #expect(factors.mfa.phones.map(\.label) == ["Mobile"])
        #expect(factors.unexported == ["totp", "email", "phone"])
        #expect(HTTPUser.factors([], kindPointer: "/type").unexported.isEmpty)
        #expect(HTTPUser.factors([["kind": "totp"]], kindPointer: "/type").kinds.isEmpty, "no kind where pointed")
    }
}
