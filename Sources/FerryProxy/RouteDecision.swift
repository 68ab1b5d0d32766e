import FerryConfig

/// What the router needs to know about a request; built once per request.
public struct RequestFacts: Equatable, Sendable {
    public var method: String
    public var path: String
    /// Host header without port, lower-cased.
    public var host: String?
    /// Header names present, lower-cased.
    public var headerNames: Set<String>
    /// Cookie names present (case-sensitive, as cookies are).
    public var cookieNames: Set<String>
    /// The bearer token of an `Authorization: Bearer …` header.
    public var bearerToken: String?

    public init(
        method: String, path: String, host: String? = nil, headerNames: Set<String> = [],
        cookieNames: Set<String> = [], bearerToken: String? = nil
    ) {
        self.method = method
        self.path = path
        self.host = host
        self.headerNames = headerNames
        self.cookieNames = cookieNames
        self.bearerToken = bearerToken
    }
}

/// Where a request goes, and why.
public enum RouteDecision: Equatable, Sendable {
    case proxy(route: String, upstream: String, reason: Reason)
    case login(route: String, settings: LoginSettings, sessionUpstream: String?)
    /// Sent by who the user is (reset flows); a session decides first.
    case byUser(route: String, settings: UserRouteSettings, sessionUpstream: String?)
    case signup(route: String, settings: UserRouteSettings)
    case noRoute

    public enum Reason: Equatable, Sendable {
        /// The route's own upstream.
        case route
        /// A session cookie or bearer token of this upstream's platform.
        case sessionAffinity
    }

    /// The upstream chosen because of a session the request carries.
    public var sessionUpstream: String? {
        switch self {
        case .proxy(_, let upstream, .sessionAffinity): return upstream
        case .login(_, _, let upstream?), .byUser(_, _, let upstream?): return upstream
        default: return nil
        }
    }

    public var isSignup: Bool {
        if case .signup = self { return true }
        return false
    }

    public var routeName: String? {
        switch self {
        case .proxy(let route, _, _), .login(let route, _, _), .byUser(let route, _, _), .signup(let route, _):
            return route
        case .noRoute: return nil
        }
    }
}

/// The ordered route table of a config, as a pure function from request facts
/// to a decision. The first matching route wins; session affinity then sends the
/// request to the platform whose session it carries, unless the route opts out.
public struct RouteTable: Sendable {
    public let routes: [RouteSettings]
    public let affinity: SessionAffinity
    let caseInsensitivePaths: Bool

    public init(config: ProxyConfig) {
        caseInsensitivePaths = config.server.caseInsensitivePaths
        // Patterns are compared in the same normal form as request paths.
        routes = config.routes.map { [caseInsensitivePaths] route in
            route.withPathPattern { RoutePath.normalized($0, caseInsensitive: caseInsensitivePaths) }
        }
        affinity = SessionAffinity(config: config)
    }

    /// The decision for a request; its path is compared in `RoutePath`'s normal form.
    public func decide(_ facts: RequestFacts) -> RouteDecision {
        var facts = facts
        facts.path = RoutePath.normalized(facts.path, caseInsensitive: caseInsensitivePaths)
        guard let route = routes.first(where: { $0.match.matches(facts) }) else { return .noRoute }
        let session = route.sessionAffinity ? affinity.platform(of: facts) : nil
        switch route.action {
        case .proxy(let upstream):
            if let session, session != upstream {
                return .proxy(route: route.name, upstream: session, reason: .sessionAffinity)
            }
            return .proxy(route: route.name, upstream: upstream, reason: .route)
        case .login(let settings):
            return .login(route: route.name, settings: settings, sessionUpstream: session)
        case .byUser(let settings):
            return .byUser(route: route.name, settings: settings, sessionUpstream: session)
        case .signup(let settings):
            return .signup(route: route.name, settings: settings)
        }
    }
}

extension RouteMatch {
    func matches(_ facts: RequestFacts) -> Bool {
        if !methods.isEmpty && !methods.contains(facts.method.uppercased()) { return false }
        switch path {
        case .exact(let exact): if facts.path != exact { return false }
        case .prefix(let prefix):
            // "/api" matches "/api" and "/api/…", not "/apiary".
            if !(facts.path == prefix || facts.path.hasPrefix(prefix.hasSuffix("/") ? prefix : prefix + "/")) {
                return false
            }
        case nil: break
        }
        if let host, facts.host != host { return false }
        if let header, !facts.headerNames.contains(header.lowercased()) { return false }
        if let cookie, !facts.cookieNames.contains(cookie) { return false }
        return true
    }
}
