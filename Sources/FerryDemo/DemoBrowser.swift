import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// What the demo walkthrough and the end-to-end tests use to act as a
/// customer's browser: form posts, a cookie header, no redirects followed (so
/// the caller sees each platform's own answer).
public final class DemoBrowser: Sendable {
    /// Described by status, cookie names and location only: cookie values are
    /// session ids, which must not reach test output.
    public struct Reply: Sendable, CustomStringConvertible {
        public var status: Int
        public var body: String
        /// `Set-Cookie` names and values of this reply.
        public var cookies: [String: String]
        public var location: String?
        public var retryAfter: String?

        public var description: String {
            "HTTP \(status), cookies set: \(cookies.keys.sorted().joined(separator: ", ")), location \(location ?? "none")"
        }
    }

    public let client: HTTPClient

    /// `retryRefusedConnections: false` fails a request at once when nothing
    /// listens, instead of letting the pool retry (and fail later requests).
    public init(retryRefusedConnections: Bool = true) {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = retryRefusedConnections
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func send(
        _ method: HTTPMethod, _ url: String, form: [(String, String)]? = nil, cookies: [String: String] = [:],
        bearer: String? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if !cookies.isEmpty {
            request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let form {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._")
            let body = form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
                .joined(separator: "&")
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        var jar: [String: String] = [:]
        for header in response.headers["Set-Cookie"] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            jar[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
        }
        return Reply(
            status: Int(response.status.code), body: String(buffer: try await response.body.collect(upTo: 1 << 20)),
            cookies: jar, location: response.headers.first(name: "Location"),
            retryAfter: response.headers.first(name: "Retry-After"))
    }

    public func shutdown() async throws {
        try await client.shutdown()
    }
}
