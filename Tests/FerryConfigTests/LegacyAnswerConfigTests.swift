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
        #expect(config.legacy?.answer?.tokenURL?.description == "https://tenant.example.com:443/oauth/token")
    }

    @Test func theForwardedAnswerIsReadByItsRules() throws {
        let config = try ProxyConfig.parse(
            Self.head + """

                verify = "answer"
                [legacy.answer]
                mode = "forwarded"
                accepted = ["status=303 location=/account cookie=session", "cookie=mfa_pending"]
                rejected = ["status=303 location=/login"]
                """, file: "t.conf", baseDirectory: "/tmp")
        let answer = try #require(config.legacy?.answer)
        #expect(answer.mode == .forwarded)
        #expect(
            answer.accepted.map(\.description) == ["status=303 location=/account cookie=session", "cookie=mfa_pending"])
        #expect(answer.rejected.map(\.description) == ["status=303 location=/login"])
        #expect(answer.tokenURL == nil)
    }

    @Test(
        arguments: [
            (
                "mode = \"forwarded\"",
                "proxy.conf:7: key `legacy.answer.accepted` is required with `mode = \"forwarded\"`: say what legacy's answer to a right password looks like, e.g. [\"status=303 cookie=session\"]"
            ),
            (
                "mode = \"forwarded\"\naccepted = [\"status=303\"]\ntoken_url = \"https://t.example/oauth/token\"",
                "proxy.conf:10: key `legacy.answer.token_url` applies to `mode = \"called\"`; with `forwarded` Ferry asks nothing itself"
            ),
            (
                "mode = \"forwarded\"\naccepted = [\"status=303\", \"code=200\"]",
                "proxy.conf:9: key `legacy.answer.accepted` entry \"code=200\" has `code=200`, which is not `status=`, `location=`, `cookie=` or `json:/pointer`"
            ),
            (
                "mode = \"forwarded\"\naccepted = [\"status=303 location=/account\"]",
                "proxy.conf:9: key `legacy.answer.accepted` entry \"status=303 location=/account\" must name the session cookie the answer issues (`cookie=NAME`) or a JSON term: a status and location alone also describe a customer already signed in, whatever password was posted"
            ),
            (
                "client_id = \"ferry\"",
                "proxy.conf:7: key `legacy.answer.token_url` is required with `mode = \"called\"` (Ferry asks the token endpoint)"
            ),
            (
                "token_url = \"https://t.example/oauth/token\"\nclient_id = \"ferry\"\nrejected = [\"status=401\"]",
                "proxy.conf:10: key `legacy.answer.rejected` applies to `mode = \"forwarded\"`; the token endpoint's answers are read as OAuth 2.0 defines"
            ),
        ])
    func forwardedMistakesAreNamed(_ table: String, _ message: String) {
        let found = issues(Self.head + "\nverify = \"answer\"\n[legacy.answer]\n" + table)
        #expect(found.contains(message), "\(found)")
    }

    /// `later_step_fields` of a login route never include the password field.
    @Test func laterStepsAreNeverLogins() {
        let found = issues(
            """
            [server]
            listen = "127.0.0.1:0"
            [upstreams.legacy]
            url = "http://127.0.0.1:1"
            [[route]]
            name = "token"
            path = "/oauth/token"
            action = "login"
            later_step_fields = ["mfa_token", "password"]
            """)
        #expect(
            found.contains {
                $0.contains("key `route[0].later_step_fields` must not list the password field `password`")
            },
            "\(found)")
    }
}
