import FerryConfig
import FerryMigration
import Foundation

/// Tells which platform issued the session a request carries: by session cookie
/// name, by opaque bearer-token prefix, or by the `iss` claim of a JWT bearer
/// token. When sessions of several platforms are present, the new platform wins.
public struct SessionAffinity: Sendable {
    struct Marks: Sendable {
        var upstream: String
        var cookies: Set<String>
        var prefixes: [String]
        var issuers: Set<String>
    }

    let marks: [Marks]
    let newPlatform: String

    public init(config: ProxyConfig) {
        marks = config.upstreams.values.sorted { $0.name < $1.name }.map {
            Marks(
                upstream: $0.name, cookies: Set($0.sessionCookies), prefixes: $0.bearerPrefixes,
                issuers: Set($0.jwtIssuers))
        }
        newPlatform = config.migration.newUpstream
    }

    /// The upstream whose session the request carries, if any.
    public func platform(of facts: RequestFacts) -> String? {
        let issuer = facts.bearerToken.flatMap(Self.jwtIssuer)
        let holders = marks.filter { mark in
            if !mark.cookies.isDisjoint(with: facts.cookieNames) { return true }
            guard let token = facts.bearerToken else { return false }
            if mark.prefixes.contains(where: { !$0.isEmpty && token.hasPrefix($0) }) { return true }
            if let issuer, mark.issuers.contains(issuer) { return true }
            return false
        }.map(\.upstream)
        if holders.contains(newPlatform) { return newPlatform }
        return holders.first
    }

    /// The `iss` claim of a JWT, read without verifying it: it only chooses a
    /// route, and the platform that receives the token verifies it.
    static func jwtIssuer(_ token: String) -> String? {
        JWTClaims.payload(of: token)?["iss"] as? String
    }

    /// Whether `token` is a bearer token of `upstream`'s platform.
    func isToken(_ token: String, of upstream: String) -> Bool {
        guard let mark = marks.first(where: { $0.upstream == upstream }) else { return false }
        if mark.prefixes.contains(where: { !$0.isEmpty && token.hasPrefix($0) }) { return true }
        return Self.jwtIssuer(token).map(mark.issuers.contains) ?? false
    }

    func sessionCookies(of upstream: String) -> Set<String> {
        marks.first { $0.upstream == upstream }?.cookies ?? []
    }

    /// The session cookies and bearer token of `upstream`'s platform that a
    /// request carries.
    func credentials(of upstream: String, cookies: [(name: String, value: String)], bearer: String?)
        -> [SessionCredential]
    {
        let names = sessionCookies(of: upstream)
        var found = cookies.filter { names.contains($0.name) && !$0.value.isEmpty }.map {
            SessionCredential(kind: .cookie, name: $0.name, value: $0.value)
        }
        if let bearer, isToken(bearer, of: upstream) {
            found.append(SessionCredential(kind: .token, name: "bearer", value: bearer))
        }
        return found
    }

    /// `facts` as if the request carried no session of `upstream`'s platform.
    func removingSessions(of upstream: String, from facts: RequestFacts) -> RequestFacts {
        var facts = facts
        facts.cookieNames.subtract(sessionCookies(of: upstream))
        if let bearer = facts.bearerToken, isToken(bearer, of: upstream) { facts.bearerToken = nil }
        return facts
    }
}
