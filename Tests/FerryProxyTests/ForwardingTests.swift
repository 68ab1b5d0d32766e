import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import FerryProxy

/// Ferry in front of real upstreams on loopback, driven by a real HTTP client.
@Suite(.serialized) struct ForwardingTests {
    static func withProxy(
        legacyExtra: String = "", extraServer: String = "",
        _ body: (ProxyHarness, TestUpstream, TestUpstream) async throws -> Void
    ) async throws {
        let legacy = TestUpstream(name: "legacy")
        let new = TestUpstream(name: "new")
        try await legacy.start()
        try await new.start()
        let proxy = try await ProxyHarness(
            config: ProxyHarness.config(
                legacy: legacy.url, new: new.url, extraServer: extraServer, legacyExtra: legacyExtra))
        do {
            try await body(proxy, legacy, new)
        } catch {
            try await proxy.stop()
            await legacy.stop()
            await new.stop()
            throw error
        }
        try await proxy.stop()
        await legacy.stop()
        await new.stop()
    }

    @Test func forwardsToTheRoutesUpstream() async throws {
        try await Self.withProxy { proxy, _, _ in
            let (response, body) = try await proxy.get("/hello")
            #expect(response.status == .ok)
            #expect(body == "hello from legacy\n")
        }
    }

    @Test func streamsLargeBodiesBothWays() async throws {
        try await Self.withProxy { proxy, _, _ in
            // 32 MiB down, streamed by the upstream in 64 KiB chunks.
            let (down, downBody) = try await proxy.get("/bytes/\(32 << 20)")
            #expect(down.status == .ok)
            #expect(downBody.utf8.count == 32 << 20)

            // 8 MiB up, streamed by the client without a known length, echoed back.
            var request = HTTPClientRequest(url: proxy.base + "/echo")
            request.method = .POST
            let chunks = (0..<128).map { index in ByteBuffer(repeating: UInt8(index % 251), count: 64 * 1024) }
            request.body = .stream(chunks.async, length: .unknown)
            let response = try await proxy.client.execute(request, timeout: .seconds(60))
            #expect(response.status == .ok)
            let echoed = try await response.body.collect(upTo: 16 << 20)
            #expect(echoed.readableBytes == 128 * 64 * 1024)
            #expect(Array(echoed.readableBytesView) == chunks.flatMap { Array($0.readableBytesView) })
        }
    }

    @Test func stripsHopByHopHeadersBothWays() async throws {
        try await Self.withProxy { proxy, _, _ in
            let (_, seen) = try await proxy.get(
                "/headers",
                headers: [
                    ("Connection", "X-Client-Hop"), ("X-Client-Hop", "1"), ("Keep-Alive", "timeout=5"),
                    ("Proxy-Authorization", "Basic eA=="), ("TE", "trailers"), ("X-Kept", "yes"),
                ])
            let headers = try JSONSerialization.jsonObject(with: Data(seen.utf8)) as! [String: String]
            #expect(headers["x-kept"] == "yes")
            for dropped in ["x-client-hop", "keep-alive", "proxy-authorization", "te"] {
                #expect(headers[dropped] == nil, "\(dropped) reached the upstream")
            }
            let (response, _) = try await proxy.get("/hop")
            #expect(response.headers["X-Kept"] == ["3"])
            #expect(response.headers["X-Upstream-Hop"].isEmpty)
            #expect(response.headers["Proxy-Thing"].isEmpty)
        }
    }

    @Test func tellsTheUpstreamWhoTheClientWas() async throws {
        try await Self.withProxy { proxy, _, _ in
            let (_, seen) = try await proxy.get("/headers", headers: [("Host", "login.example.com")])
            let headers = try JSONSerialization.jsonObject(with: Data(seen.utf8)) as! [String: String]
            #expect(headers["x-forwarded-for"] == "127.0.0.1")
            #expect(headers["x-forwarded-proto"] == "http")
            #expect(headers["x-forwarded-host"] == "login.example.com")
            #expect(headers["forwarded"] == "for=127.0.0.1;proto=http;host=login.example.com")
            #expect(headers["host"] == "login.example.com", "host_header = preserve keeps the client's Host")
        }
    }

    @Test func rewritesHostWhenConfigured() async throws {
        try await Self.withProxy(legacyExtra: #"host_header = "rewrite""#) { proxy, legacy, _ in
            let (_, seen) = try await proxy.get("/headers", headers: [("Host", "login.example.com")])
            let headers = try JSONSerialization.jsonObject(with: Data(seen.utf8)) as! [String: String]
            #expect(headers["host"] == legacy.url.replacingOccurrences(of: "http://", with: ""))
        }
    }

    @Test func passesEverySetCookieThrough() async throws {
        try await Self.withProxy { proxy, _, _ in
            let (response, _) = try await proxy.get("/cookies")
            #expect(
                response.headers["Set-Cookie"] == ["a=1; Path=/", "b=2; HttpOnly", "legacy_session=s3; Max-Age=60"])
        }
    }

    @Test func passesRedirectsBackUntouched() async throws {
        try await Self.withProxy { proxy, _, _ in
            let (response, _) = try await proxy.get("/redirect")
            #expect(response.status == .found)
            #expect(response.headers["Location"] == ["/elsewhere?x=1"])
        }
    }

    @Test func sessionCookieSticksToItsPlatform() async throws {
        try await Self.withProxy { proxy, _, _ in
            let plain = try await proxy.get("/hello").1
            let withNew = try await proxy.get("/hello", headers: [("Cookie", "new_session=n1")]).1
            let withLegacy = try await proxy.get("/hello", headers: [("Cookie", "legacy_session=l1")]).1
            let withBoth = try await proxy.get("/hello", headers: [("Cookie", "legacy_session=l1; new_session=n1")]).1
            #expect(plain == "hello from legacy\n")
            #expect(withNew == "hello from new\n")
            #expect(withLegacy == "hello from legacy\n")
            #expect(withBoth == "hello from new\n", "both sessions present: the newer platform wins")
        }
    }

    @Test func downUpstreamIs502() async throws {
        try await Self.withProxy { proxy, _, new in
            await new.stop()
            let (response, body) = try await proxy.get("/hello", headers: [("Cookie", "new_session=n1")])
            #expect(response.status == .badGateway)
            #expect(body == "upstream \"new\" is unreachable\n")
        }
    }

    @Test func slowUpstreamIs504() async throws {
        // A timeout well above what a loaded test machine needs for /hello, and
        // well below the slow answer.
        try await Self.withProxy(legacyExtra: #"response_timeout = "1s""#) { proxy, _, _ in
            let (response, body) = try await proxy.get("/slow/5000")
            #expect(response.status == .gatewayTimeout)
            #expect(body == "upstream \"legacy\" did not answer in time\n")
            let (fast, _) = try await proxy.get("/hello")
            #expect(fast.status == .ok)
        }
    }

    @Test func clientDisconnectCancelsTheUpstreamRequest() async throws {
        try await Self.withProxy { proxy, _, _ in
            let call = Task {
                try await proxy.client.execute(HTTPClientRequest(url: proxy.base + "/slow/5000"), timeout: .seconds(30))
            }
            try await Task.sleep(for: .milliseconds(300))
            call.cancel()  // the client closes its connection
            // Well before the upstream's 5 s, Ferry has given up the request and counted it.
            var metrics = ""
            for _ in 0..<40 where !metrics.contains(#"status_class="4xx""#) {
                try await Task.sleep(for: .milliseconds(50))
                metrics = proxy.server.metrics.exposition()
            }
            #expect(metrics.contains(#"ferry_http_requests_total{route="all",upstream="legacy",status_class="4xx"} 1"#))
            #expect(metrics.contains("ferry_requests_in_flight 0"))
        }
    }

    /// Each connection's watcher is this server's, and leaves with the
    /// connection: nothing process-wide grows with the connections served.
    @Test func disconnectWatchersLeaveWithTheirConnections() async throws {
        try await Self.withProxy { proxy, _, _ in
            for _ in 0..<20 {
                let reply = try await RawConnection.with(port: proxy.server.proxyPort ?? 0) { connection in
                    try await connection.send("GET /hello HTTP/1.1\r\nHost: shop.example\r\n\r\n")
                    return try await connection.readResponse()
                }
                #expect(reply.status == 200)
            }
            var open = proxy.server.connectionWatchers.count
            for _ in 0..<100 where open > 0 {
                try await Task.sleep(for: .milliseconds(20))
                open = proxy.server.connectionWatchers.count
            }
            #expect(open == 0)
        }
    }

    @Test func serverRequestTimeoutCapsTheWait() async throws {
        try await Self.withProxy(extraServer: #"request_timeout = "300ms""#) { proxy, _, _ in
            let (response, _) = try await proxy.get("/slow/3000")
            #expect(response.status == .gatewayTimeout)
        }
    }

    @Test func oversizedRequestsAre413() async throws {
        try await Self.withProxy(extraServer: #"max_body_size = "4KiB""#) { proxy, _, _ in
            var declared = HTTPClientRequest(url: proxy.base + "/echo")
            declared.method = .POST
            declared.body = .bytes(ByteBuffer(repeating: 0x61, count: 5000))
            let response = try await proxy.client.execute(declared, timeout: .seconds(10))
            #expect(response.status == .payloadTooLarge)

            // To an upstream that answers once it has the whole body: the
            // limit is met before any answer exists. (An upstream that answers
            // at once, like /echo, may have its 200 on the way before the limit
            // is met; that connection is then cut mid-response.)
            var streamed = HTTPClientRequest(url: proxy.base + "/sink")
            streamed.method = .POST
            streamed.body = .stream(
                (0..<4).map { _ in ByteBuffer(repeating: 0x62, count: 2000) }.async, length: .unknown)
            let streamedResponse = try await proxy.client.execute(streamed, timeout: .seconds(10))
            #expect(streamedResponse.status == .payloadTooLarge)

            var small = HTTPClientRequest(url: proxy.base + "/echo")
            small.method = .POST
            small.body = .bytes(ByteBuffer(repeating: 0x63, count: 4000))
            let smallResponse = try await proxy.client.execute(small, timeout: .seconds(10))
            #expect(smallResponse.status == .ok)
        }
    }

    /// One request with a 70 KB Host and a body took the process down:
    /// AsyncHTTPClient traps on a head larger than its 64 KiB write buffer.
    /// Host now counts towards the head and is bounded; Ferry answers and
    /// keeps serving.
    @Test func aHugeHostIsRefusedAndFerryKeepsServing() async throws {
        try await Self.withProxy { proxy, _, _ in
            let port = proxy.server.proxyPort ?? 0
            for host in [String(repeating: "A", count: 70_000), String(repeating: "a", count: 300)] {
                let reply = try await RawConnection.with(port: port) { connection in
                    try await connection.send(
                        "POST /echo HTTP/1.1\r\nHost: shop.\(host)\r\nContent-Length: 11\r\n\r\ncode=123456")
                    return try await connection.readResponse()
                }
                #expect([400, 431].contains(reply.status), "\(reply.status)")
            }
            let (response, _) = try await proxy.get("/hello")
            #expect(response.status == .ok)
        }
    }

    /// The largest head `max_header_size` allows, with a body, reaches the
    /// upstream: what Ferry adds keeps it under the 60 KiB it may send.
    @Test func theLargestAllowedHeadIsForwarded() async throws {
        try await Self.withProxy(extraServer: #"max_header_size = "56KiB""#) { proxy, _, _ in
            var request = HTTPClientRequest(url: proxy.base + "/echo")
            request.method = .POST
            request.headers.add(name: "X-Big", value: String(repeating: "h", count: (56 << 10) - 200))
            request.body = .bytes(ByteBuffer(string: "code=123456"))
            let response = try await proxy.client.execute(request, timeout: .seconds(10))
            #expect(response.status == .ok)
            #expect(String(buffer: try await response.body.collect(upTo: 1024)) == "code=123456")
        }
    }

    @Test(arguments: [
        // "GET / HTTP/1.1\r\n" and the blank line.
        ("GET", "/", [(String, String)](), 16 + 2),
        // Each field is "name: value\r\n".
        ("POST", "/login?next=%2F", [("Host", "shop.example"), ("Content-Length", "11")], 31 + 20 + 20 + 2),
    ])
    func upstreamHeadSize(method: String, target: String, fields: [(String, String)], expected: Int) {
        #expect(UpstreamHead.size(method: method, target: target, headers: HTTPHeaders(fields)) == expected)
    }

    @Test func oversizedHeadersAre431() async throws {
        try await Self.withProxy(extraServer: #"max_header_size = "2KiB""#) { proxy, _, _ in
            let (response, _) = try await proxy.get("/hello", headers: [("X-Big", String(repeating: "h", count: 3000))])
            #expect(response.status.code == 431)
        }
    }
}

extension Array where Element: Sendable {
    /// The elements as an AsyncSequence, for streaming request bodies in tests.
    var async: AsyncStream<Element> {
        AsyncStream { continuation in
            for element in self { continuation.yield(element) }
            continuation.finish()
        }
    }
}
