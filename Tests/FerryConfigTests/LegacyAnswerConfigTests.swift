import Testing

@testable import FerryConfig

/// `[legacy] verify` and `[legacy.answer]`.
struct LegacyAnswerConfigTests {
    static let head = """
        [server]
        listen = "127.0.0.1:0"
        [legacy]
        database = "sqlite:///x.db"
        user_query = "SELECT id AS legacy_id, pw AS password_hash FROM u WHERE name = :identifier"
        """

    @Test func answerNeedsItsTable() {
        #expect(
            issues(Self.head + "\nverify = \"answer\"").contains(
                "proxy.conf:6: key `legacy.verify` is \"answer\", so `[legacy.answer]` must say how to ask the legacy platform"
            ))
    }

    @Test func theTokenEndpointIsRead() throws {
        let config = try ProxyConfig.parse(
            Self.head
                + "\nverify = \"auto\"\n[legacy.answer]\ntoken_url = \"https://tenant.example.com/oauth/token\"\nclient_id = \"ferry\"\nscope = \"openid\"",
            file: "t.conf", baseDirectory: "/tmp")
        #expect(config.legacy?.verify == .auto)
        #expect(config.legacy?.answer?.tokenURL.description == "https://tenant.example.com:443/oauth/token")
    }
}
