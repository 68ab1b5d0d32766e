import FerryConfig
import Testing

@testable import FerryProxy

/// Path variants that upstream frameworks treat as one path must take one route.
struct RoutePathTests {
    @Test(arguments: [
        ("/login", "/login"), ("/login/", "/login"), ("//login", "/login"), ("/./login", "/login"),
        ("/a/../login", "/login"), ("/../../login", "/login"), ("/login/.", "/login"), ("/%6Cogin", "/login"),
        ("/%6cogin", "/login"), ("/login;jsessionid=abc", "/login"), ("/login%2F", "/login%2F"),
        ("/login%2f", "/login%2F"), ("/%2E%2E/login", "/login"), ("/LOGIN", "/LOGIN"), ("", "/"), ("/", "/"),
        ("///", "/"), ("/a//b/", "/a/b"), ("/a%zz", "/a%zz"), ("/a%", "/a%"), ("/%41%42", "/AB"),
        ("/caf%C3%A9", "/caf%C3%A9"),
    ])
    func normalizedForMatching(path: String, expected: String) {
        #expect(RoutePath.normalized(path, caseInsensitive: false) == expected)
    }

    @Test(arguments: [("/LOGIN", "/login"), ("/Login/", "/login"), ("/%4Cogin", "/login")])
    func caseInsensitiveWhenConfigured(path: String, expected: String) {
        #expect(RoutePath.normalized(path, caseInsensitive: true) == expected)
    }

    static func table(caseInsensitive: Bool) throws -> RouteTable {
        let config = try ProxyConfig.parse(
            """
            [server]
            listen = "127.0.0.1:0"
            case_insensitive_paths = \(caseInsensitive)
            [upstreams.legacy]
            url = "http://127.0.0.1:1"
            [upstreams.new]
            url = "http://127.0.0.1:2"
            [[route]]
            name = "login"
            methods = ["POST"]
            path = "/Account/Login/"
            action = "login"
            [[route]]
            name = "default"
            path_prefix = "/"
            action = "proxy"
            upstream = "legacy"
            """, file: "test.conf", baseDirectory: "/", environment: [:])
        return RouteTable(config: config)
    }

    @Test(arguments: [
        "/Account/Login", "/Account/Login/", "//Account//Login", "/Account/./Login", "/x/../Account/Login",
        "/Account/%4Cogin", "/Account/Login;jsessionid=1", "/%41ccount/Login",
    ])
    func everyVariantOfTheLoginPathIsJudged(path: String) throws {
        let decision = try Self.table(caseInsensitive: false).decide(RequestFacts(method: "POST", path: path))
        #expect(decision.routeName == "login", "\(path)")
    }

    @Test func caseVariantsAreJudgedOnlyWhenTheLegacyPlatformIgnoresCase() throws {
        let facts = RequestFacts(method: "POST", path: "/ACCOUNT/login")
        #expect(try Self.table(caseInsensitive: false).decide(facts).routeName == "default")
        #expect(try Self.table(caseInsensitive: true).decide(facts).routeName == "login")
    }
}
