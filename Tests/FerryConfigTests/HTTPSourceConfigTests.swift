import Testing

@testable import FerryConfig

/// `[legacy] kind = "http"` and `[legacy.http]`.
struct HTTPSourceConfigTests {
    static let head = """
        [server]
        listen = "127.0.0.1:0"
        [legacy]
        kind = "http"
        verify = "answer"
        [legacy.answer]
        token_url = "https://tenant.example.com/oauth/token"
        client_id = "ferry"
        [legacy.http]
        """

    @Test func anAuth0TenantIsRead() throws {
        let config = try ProxyConfig.parse(
            Self.head + """

                user_url = "https://tenant.example.com/api/v2/users-by-email?email={identifier}"
                roles_url = "https://tenant.example.com/api/v2/users/{legacy_id}/roles"
                fields = ["plan=/app_metadata/plan", "username=/nickname"]
                token_url = "https://tenant.example.com/oauth/token"
                client_id = "m2m"
                audience = "https://tenant.example.com/api/v2/"
                """, file: "t.conf", baseDirectory: "/tmp")
        let http = try #require(config.legacy?.http)
        #expect(http.userPointer == "" && http.rolePointer == "/name")
        let mapping = Dictionary(uniqueKeysWithValues: http.mapping.map { ($0.name, $0.pointer) })
        #expect(mapping["username"] == "/nickname", "an override wins")
        #expect(mapping["legacy_id"] == "/user_id" && mapping["plan"] == "/app_metadata/plan")
    }

    @Test(
        arguments: [
            (
                "user_url = \"https://t.example/api/v2/users\"\ntoken_env = \"T\"",
                "proxy.conf:10: key `legacy.http.user_url` must contain {identifier}, where Ferry puts the value"
            ),
            (
                "user_url = \"ftp://t.example/{identifier}\"\ntoken_env = \"T\"",
                "proxy.conf:10: key `legacy.http.user_url` must be an http:// or https:// URL"
            ),
            (
                "user_url = \"https://t.example/{identifier}\"",
                "proxy.conf:9: key `legacy.http.token_file` `token_env` or the client credentials (`token_url`, `client_id`, `client_secret_*`) are required: the admin API wants a bearer token"
            ),
            (
                "user_url = \"https://t.example/{identifier}\"\nclient_id = \"m2m\"",
                "proxy.conf:9: key `legacy.http.token_url` is required for the client-credentials grant"
            ),
            (
                "user_url = \"https://t.example/{identifier}\"\ntoken_env = \"T\"\nfields = [\"plan=app_metadata.plan\"]",
                "proxy.conf:12: key `legacy.http.fields` entry \"plan=app_metadata.plan\" must map to a JSON pointer starting with `/` (RFC 6901), e.g. username=/nickname"
            ),
            (
                "user_url = \"https://t.example/{identifier}\"\ntoken_env = \"T\"\nroles_url = \"https://t.example/roles\"",
                "proxy.conf:12: key `legacy.http.roles_url` must contain {legacy_id}, where Ferry puts the value"
            ),
        ])
    func mistakesAreNamed(_ table: String, _ message: String) {
        let found = issues(Self.head + "\n" + table, environment: ["T": "token"])
        #expect(found.contains(message), "\(found)")
    }

    @Test func saasPlatformsExportNoHashes() {
        let found = issues(
            """
            [server]
            listen = "127.0.0.1:0"
            [legacy]
            kind = "http"
            [legacy.http]
            user_url = "https://t.example/{identifier}"
            token_env = "T"
            """, environment: ["T": "token"])
        #expect(
            found.contains(
                "proxy.conf:3: key `legacy.verify` is \"hash\", but `[legacy.http] fields` maps no `password_hash`: SaaS admin APIs do not export hashes; set `verify = \"answer\"` and `[legacy.answer]`"
            ), "\(found)")
    }
}
