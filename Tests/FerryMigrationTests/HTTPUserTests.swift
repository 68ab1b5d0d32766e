import Testing

@testable import FerryMigration

/// The admin-API source's two guards, each on its own: the identifier stays
/// one value in the URL, and only a returned user carrying it counts.
struct HTTPUserTests {
    @Test(
        arguments: [
            ("ada@example.com", "https://t/u?email=ada%40example%2Ecom"),
            ("a&email=b", "https://t/u?email=a%26email%3Db"),
            ("../users", "https://t/u?email=%2E%2E%2Fusers"),
            ("x#y?z", "https://t/u?email=x%23y%3Fz"),
            ("ünï", "https://t/u?email=%C3%BCn%C3%AF"),
        ])
    func theIdentifierStaysOneValue(_ identifier: String, _ url: String) {
        #expect(HTTPUser.url("https://t/u?email={identifier}", "identifier", identifier) == url)
    }

    static func account(username: String?, email: String?) -> LegacyAccount {
        LegacyAccount(
            legacyID: "1", username: username, email: email, emailVerified: true, phone: nil, passwordHash: "",
            salt: nil, status: nil, active: true, profile: .init(), createdAt: nil, lastLoginAt: nil, mfa: .init(),
            consents: [])
    }

    @Test func onlyTheUserNamedCounts() {
        let ada = Self.account(username: "Ada", email: "ada@example.com")
        #expect(HTTPUser.carries("ADA@example.com", ada, caseSensitive: true))
        #expect(HTTPUser.carries("Ada", ada, caseSensitive: true))
        #expect(!HTTPUser.carries("ada", ada, caseSensitive: true))
        #expect(HTTPUser.carries("ada", ada, caseSensitive: false))
        #expect(!HTTPUser.carries("*", ada, caseSensitive: false))
        #expect(!HTTPUser.carries("ada@example.com OR email:*", ada, caseSensitive: false))
    }
}
