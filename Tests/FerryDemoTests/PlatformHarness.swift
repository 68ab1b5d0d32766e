import AsyncHTTPClient
import FerryTestSupport
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

@testable import FerryDemo

/// One platform's router on an ephemeral loopback port, and a client that
/// does not follow redirects (so tests see the platform's own answers).
final class PlatformServer: Sendable {
    let client: HTTPClient
    private let server: TestServer

    var base: String { server.url }

    init(router: @escaping @Sendable () -> Router<BasicRequestContext>) async throws {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        server = TestServer(router)
        try await server.start()
    }

    struct Reply {
        var status: Int
        var body: String
        var cookies: [String: String]
        var location: String?
    }

    func send(
        _ method: HTTPMethod, _ path: String, form: [String: String]? = nil, json: Any? = nil,
        cookies: [String: String] = [:], bearer: String? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if !cookies.isEmpty {
            request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let form {
            let body = form.map {
                "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            }.joined(separator: "&")
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: body))
        } else if let json {
            request.headers.add(name: "Content-Type", value: "application/scim+json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        var cookies: [String: String] = [:]
        for header in response.headers["Set-Cookie"] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            cookies[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
        }
        let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return Reply(
            status: Int(response.status.code), body: body, cookies: cookies,
            location: response.headers.first(name: "Location"))
    }

    func stop() async throws {
        try await client.shutdown()
        await server.stop()
    }
}

func temporaryDatabase(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ferry-demo-\(name)-\(UUID()).db").path
}
