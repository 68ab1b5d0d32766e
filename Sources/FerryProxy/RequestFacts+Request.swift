import AsyncHTTPClient
import FerryConfig
import FerryMigration
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization

/// What routing reads off a request: cookies, bearer token, host.
extension ProxyResponder {
    /// A Host header after the first (the first became the authority).
    static let hostField = HTTPField.Name("Host")!

    /// The request's cookies as name and value pairs.
    static func cookies(of request: Request) -> [(name: String, value: String)] {
        var cookies: [(name: String, value: String)] = []
        for value in request.headers[values: .cookie] {
            for pair in value.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard let name = parts.first.map({ $0.trimmingCharacters(in: .whitespaces) }), !name.isEmpty else {
                    continue
                }
                cookies.append((name, parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""))
            }
        }
        return cookies
    }

    static func facts(of request: Request) -> RequestFacts {
        let cookies = Set(Self.cookies(of: request).map(\.name))
        var bearer: String?
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") {
            bearer = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        var host = request.head.authority?.lowercased()
        if let authority = host, let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            host = String(authority[..<colon])
        }
        return RequestFacts(
            method: request.method.rawValue, path: request.uri.path, host: host,
            headerNames: Set(request.headers.map { $0.name.canonicalName }), cookieNames: cookies,
            bearerToken: bearer)
    }
}
