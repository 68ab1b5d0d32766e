import FerryConfig
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
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].utf8.count <= 8192 else { return nil }
        var payload = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.utf8.count % 4 != 0 { payload += "=" }
        guard let data = Data(base64Encoded: payload),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["iss"] as? String
    }
}
