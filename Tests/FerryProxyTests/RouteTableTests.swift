import Testing

@testable import FerryConfig
@testable import FerryProxy

/// The routing decision as a table: request facts in, decision out, no I/O.
struct RouteTableTests {
    static let config = try! ProxyConfig.parse(
        """
        [server]
        listen = "127.0.0.1:0"
        [upstreams.legacy]
        url = "http://127.0.0.1:1"
        session_cookies = ["legacy_session"]
        bearer_prefixes = ["lgcy_"]
        jwt_issuers = ["https://legacy.example.com"]
        [upstreams.new]
        url = "http://127.0.0.1:2"
        session_cookies = ["new_session"]
        jwt_issuers = ["https://new.example.com"]
        [upstreams.static]
        url = "http://127.0.0.1:3"
        [[route]]
        name = "login"
        methods = ["POST"]
        path = "/login"
        action = "login"
        [[route]]
        name = "assets"
        path_prefix = "/assets"
        action = "proxy"
        upstream = "static"
        session_affinity = false
        [[route]]
        name = "api-host"
        host = "api.example.com"
        header = "X-Api-Version"
        action = "proxy"
        upstream = "new"
        [[route]]
        name = "beta"
        cookie = "beta"
        action = "proxy"
        upstream = "new"
        [[route]]
        name = "default"
        path_prefix = "/"
        action = "proxy"
        upstream = "legacy"
        """, file: "test.conf", baseDirectory: "/", environment: [:])

    static func jwt(issuer: String) -> String {
        let payload = Array("{\"iss\":\"\(issuer)\",\"sub\":\"u1\"}".utf8)
        let encoded = Base64URL.encode(payload)
        return "eyJhbGciOiJub25lIn0.\(encoded).sig"
    }

    static let cases: [(String, RequestFacts, RouteDecision)] = [
        (
            "first match wins", RequestFacts(method: "GET", path: "/account"),
            .proxy(route: "default", upstream: "legacy", reason: .route)
        ),
        (
            "prefix matches its own path", RequestFacts(method: "GET", path: "/assets"),
            .proxy(route: "assets", upstream: "static", reason: .route)
        ),
        (
            "prefix matches below", RequestFacts(method: "GET", path: "/assets/app.js"),
            .proxy(route: "assets", upstream: "static", reason: .route)
        ),
        (
            "prefix is not a string prefix", RequestFacts(method: "GET", path: "/assetsX"),
            .proxy(route: "default", upstream: "legacy", reason: .route)
        ),
        (
            "method must match", RequestFacts(method: "GET", path: "/login"),
            .proxy(route: "default", upstream: "legacy", reason: .route)
        ),
        (
            "login route", RequestFacts(method: "POST", path: "/login"),
            .login(route: "login", settings: loginSettings, sessionUpstream: nil)
        ),
        (
            "host and header both needed", RequestFacts(method: "GET", path: "/x", host: "api.example.com"),
            .proxy(route: "default", upstream: "legacy", reason: .route)
        ),
        (
            "host and header",
            RequestFacts(method: "GET", path: "/x", host: "api.example.com", headerNames: ["x-api-version"]),
            .proxy(route: "api-host", upstream: "new", reason: .route)
        ),
        (
            "cookie presence", RequestFacts(method: "GET", path: "/x", cookieNames: ["beta"]),
            .proxy(route: "beta", upstream: "new", reason: .route)
        ),
        (
            "new session cookie sticks to new",
            RequestFacts(method: "GET", path: "/account", cookieNames: ["new_session"]),
            .proxy(route: "default", upstream: "new", reason: .sessionAffinity)
        ),
        (
            "legacy session cookie stays on legacy",
            RequestFacts(method: "GET", path: "/account", cookieNames: ["legacy_session"]),
            .proxy(route: "default", upstream: "legacy", reason: .route)
        ),
        (
            "legacy session overrides a new route",
            RequestFacts(method: "GET", path: "/x", cookieNames: ["beta", "legacy_session"]),
            .proxy(route: "beta", upstream: "legacy", reason: .sessionAffinity)
        ),
        (
            "both sessions: newer platform wins",
            RequestFacts(method: "GET", path: "/account", cookieNames: ["legacy_session", "new_session"]),
            .proxy(route: "default", upstream: "new", reason: .sessionAffinity)
        ),
        (
            "route may opt out of affinity",
            RequestFacts(method: "GET", path: "/assets/a.css", cookieNames: ["new_session"]),
            .proxy(route: "assets", upstream: "static", reason: .route)
        ),
        (
            "opaque bearer prefix",
            RequestFacts(method: "GET", path: "/beta-api", cookieNames: ["beta"], bearerToken: "lgcy_abc"),
            .proxy(route: "beta", upstream: "legacy", reason: .sessionAffinity)
        ),
        (
            "JWT issuer",
            RequestFacts(method: "GET", path: "/account", bearerToken: jwt(issuer: "https://new.example.com")),
            .proxy(route: "default", upstream: "new", reason: .sessionAffinity)
        ),
        (
            "unknown JWT issuer",
            RequestFacts(method: "GET", path: "/account", bearerToken: jwt(issuer: "https://evil.example.com")),
            .proxy(route: "default", upstream: "legacy", reason: .route)
        ),
        (
            "garbage token", RequestFacts(method: "GET", path: "/account", bearerToken: "a.b.c"),
            .proxy(route: "default", upstream: "legacy", reason: .route)
        ),
        (
            "login with a new session", RequestFacts(method: "POST", path: "/login", cookieNames: ["new_session"]),
            .login(route: "login", settings: loginSettings, sessionUpstream: "new")
        ),
    ]

    static var loginSettings: LoginSettings {
        guard case .login(let settings) = config.routes[0].action else { fatalError("route 0 is the login route") }
        return settings
    }

    @Test(arguments: cases)
    func decides(name: String, facts: RequestFacts, expected: RouteDecision) {
        #expect(RouteTable(config: Self.config).decide(facts) == expected, "\(name)")
    }

    @Test func noRouteWhenNothingMatches() throws {
        var config = Self.config
        config.routes = Array(config.routes.prefix(2))
        #expect(RouteTable(config: config).decide(RequestFacts(method: "GET", path: "/other")) == .noRoute)
    }
}

enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 3, bytes.count)]) + [0, 0]
            let value = UInt32(chunk[0]) << 16 | UInt32(chunk[1]) << 8 | UInt32(chunk[2])
            let count = min(bytes.count - index, 3) + 1
            for shift in [18, 12, 6, 0].prefix(count) { out.append(table[Int((value >> UInt32(shift)) & 63)]) }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
