import AsyncHTTPClient
import FerryTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

@testable import FerryProxy

/// A real upstream: a Hummingbird app on an ephemeral loopback port that echoes,
/// streams, redirects, sets cookies, sleeps and reports what it received.
final class TestUpstream: Sendable {
    let name: String
    private let server: TestServer

    init(name: String) {
        self.name = name
        server = TestServer { TestUpstream.router(name: name) }
    }

    var url: String { server.url }

    func start() async throws { try await server.start() }

    func stop() async { await server.stop() }

    static func router(name: String) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/hello") { _, _ in "hello from \(name)\n" }
        router.post("/echo") { request, _ in
            Response(status: .ok, body: ResponseBody(asyncSequence: request.body))
        }
        router.get("/bytes/{count}") { _, context in
            let count = Int(context.parameters.get("count") ?? "0") ?? 0
            return Response(
                status: .ok,
                body: ResponseBody { writer in
                    var left = count
                    var chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 * 1024)
                    while left > 0 {
                        let size = min(left, chunk.readableBytes)
                        try await writer.write(chunk.getSlice(at: 0, length: size)!)
                        left -= size
                    }
                    chunk.clear()
                    try await writer.finish(nil)
                })
        }
        // Answers before reading the body, as servers do for an unknown path
        // or a missing credential; Hummingbird then reads the body by itself.
        router.post("/early") { _, _ in Response(status: .unauthorized) }
        // An upgrade answer, which Ferry must not relay while staying HTTP.
        router.get("/upgrade") { _, _ in
            Response(status: .switchingProtocols, headers: [.upgrade: "websocket", .connection: "Upgrade"])
        }
        // Reads the whole body, then answers with its size.
        router.post("/sink") { request, _ in
            var size = 0
            for try await chunk in request.body { size += chunk.readableBytes }
            return "\(size)\n"
        }
        // Reads a little of the body, then answers.
        router.post("/partial") { request, _ in
            var iterator = request.body.makeAsyncIterator()
            _ = try await iterator.next()
            return Response(status: .accepted)
        }
        router.get("/headers") { request, _ in
            var seen: [String: String] = ["host": request.head.authority ?? ""]
            for field in request.headers {
                seen[field.name.canonicalName, default: ""] +=
                    (seen[field.name.canonicalName] == nil ? "" : ",") + field.value
            }
            let data = try JSONSerialization.data(withJSONObject: seen, options: [.sortedKeys])
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("/cookies") { _, _ in
            var headers = HTTPFields()
            for cookie in ["a=1; Path=/", "b=2; HttpOnly", "legacy_session=s3; Max-Age=60"] {
                headers.append(HTTPField(name: .setCookie, value: cookie))
            }
            return Response(status: .ok, headers: headers)
        }
        router.get("/redirect") { _, _ in
            Response(status: .found, headers: [.location: "/elsewhere?x=1"])
        }
        router.get("/hop") { _, _ in
            var headers = HTTPFields()
            headers[.connection] = "X-Upstream-Hop"
            headers[HTTPField.Name("X-Upstream-Hop")!] = "1"
            headers[HTTPField.Name("Proxy-Thing")!] = "2"
            headers[HTTPField.Name("X-Kept")!] = "3"
            return Response(status: .ok, headers: headers)
        }
        router.get("/slow/{ms}") { _, context in
            let ms = Int(context.parameters.get("ms") ?? "0") ?? 0
            try await Task.sleep(for: .milliseconds(ms))
            return "slept \(ms)ms from \(name)\n"
        }
        return router
    }
}

/// Ferry in-process with a config written to a temporary folder.
final class ProxyHarness: Sendable {
    let directory: URL
    let server: FerryServer
    let client: HTTPClient
    private let task: Task<Void, any Error>

    var configPath: String { directory.appendingPathComponent("proxy.conf").path }
    var base: String { "http://127.0.0.1:\(server.proxyPort ?? 0)" }
    var admin: String { "http://127.0.0.1:\(server.adminPort ?? 0)" }

    init(config: String) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-proxy-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "test-admin-token\n".write(
            to: directory.appendingPathComponent("admin.token"), atomically: true, encoding: .utf8)
        try config.write(to: directory.appendingPathComponent("proxy.conf"), atomically: true, encoding: .utf8)
        var logger = Logger(label: "ferry-test")
        logger.logLevel = .critical
        server = try FerryServer(
            configPath: directory.appendingPathComponent("proxy.conf").path, logger: logger, accessLog: false)
        let server = self.server
        task = Task { try await server.run(handleSignals: false) }
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        await server.waitUntilListening()
    }

    func rewrite(_ config: String) throws {
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> (HTTPClientResponse, String) {
        var request = HTTPClientRequest(url: base + path)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (response, String(buffer: body))
    }

    /// A GET on the admin listener (metrics need no token).
    func getAdmin(_ path: String) async throws -> (HTTPClientResponse, String) {
        let response = try await client.execute(HTTPClientRequest(url: admin + path), timeout: .seconds(30))
        return (response, String(buffer: try await response.body.collect(upTo: 16 << 20)))
    }

    func stop() async throws {
        try await client.shutdown()
        await server.shutdown()
        _ = await task.result
        try? FileManager.default.removeItem(at: directory)
    }

    /// A config with `legacy` and `new` upstreams and one catch-all route.
    static func config(
        legacy: String, new: String, routeUpstream: String = "legacy", extraServer: String = "",
        legacyExtra: String = ""
    ) -> String {
        """
        [server]
        listen = "127.0.0.1:0"
        \(extraServer)
        [admin]
        listen = "127.0.0.1:0"
        token_file = "admin.token"
        [upstreams.legacy]
        url = "\(legacy)"
        session_cookies = ["legacy_session"]
        \(legacyExtra)
        [upstreams.new]
        url = "\(new)"
        session_cookies = ["new_session"]
        [[route]]
        name = "all"
        path_prefix = "/"
        action = "proxy"
        upstream = "\(routeUpstream)"
        """
    }
}
