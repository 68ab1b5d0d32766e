import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

@testable import FerryProxy

/// Upstreams that answer before they have read the request body — an unknown
/// path's 404, a 401, a redirect — while the client is still sending it. The
/// answer reaches the client, the rest of the body is dropped or the
/// connection closed, and Ferry lives on. (It once died here: two readers took
/// the same request body.)
@Suite(.serialized, .timeLimit(.minutes(3))) struct EarlyAnswerTests {
    @Test func anEarlyAnswerReachesTheClientWhoseBodyArrivesLater() async throws {
        try await ForwardingTests.withProxy { proxy, _, _ in
            let port = proxy.server.proxyPort ?? 0
            for path in ["/nonexistent", "/early"] {
                try await RawConnection.with(port: port) { connection in
                    try await connection.send(
                        "POST \(path) HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 100\r\n\r\n")
                    try await Task.sleep(for: .milliseconds(500))
                    try await connection.send(String(repeating: "a", count: 100))
                    let reply = try await connection.readResponse()
                    #expect(reply.status == (path == "/early" ? 401 : 404))
                    // The connection carries the next request, or is closed; either way Ferry answers.
                    try await connection.send("GET /hello HTTP/1.1\r\nHost: shop.example\r\n\r\n")
                    if let next = try? await connection.readResponse() {
                        #expect(next.status == 200)
                    }
                }
            }
            let (after, body) = try await proxy.get("/hello")
            #expect(after.status == .ok)
            #expect(body == "hello from legacy\n")
        }
    }

    @Test func aClientThatNeverFinishesItsBodyIsClosedAfterTheAnswer() async throws {
        try await ForwardingTests.withProxy { proxy, _, _ in
            try await RawConnection.with(port: proxy.server.proxyPort ?? 0) { connection in
                try await connection.send(
                    "POST /early HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 1000\r\n\r\nab")
                let reply = try await connection.readResponse()
                #expect(reply.status == 401)
                // Nothing more comes; after the linger limit the connection is closed.
                #expect(try await connection.isClosedByServer())
            }
            let (after, _) = try await proxy.get("/hello")
            #expect(after.status == .ok)
        }
    }

    /// Many keep-alive clients posting bodies, in pieces with pauses, to
    /// upstreams that answer before, during and after reading them.
    @Test func soakOfBodiesToEarlyLateAndPartialAnswers() async throws {
        try await ForwardingTests.withProxy { proxy, _, _ in
            let port = proxy.server.proxyPort ?? 0
            let clients = 12
            let requestsPerClient = 60
            let answered = try await withThrowingTaskGroup(of: Int.self) { group in
                for client in 0..<clients {
                    group.addTask {
                        try await RawConnection.with(port: port) { connection in
                            var answered = 0
                            for index in 0..<requestsPerClient {
                                let path = ["/early", "/echo", "/partial", "/nonexistent"][(client + index) % 4]
                                let body = String(repeating: "k=v&", count: 16 + index % 7)
                                let chunked = index % 3 == 0
                                var head = "POST \(path) HTTP/1.1\r\nHost: shop.example\r\n"
                                head +=
                                    chunked
                                    ? "Transfer-Encoding: chunked\r\n\r\n"
                                    : "Content-Length: \(body.utf8.count)\r\n\r\n"
                                try await connection.send(head)
                                if index % 5 == 0 { try await Task.sleep(for: .milliseconds(20)) }
                                if chunked {
                                    try await connection.send(
                                        String(body.utf8.count, radix: 16) + "\r\n" + body + "\r\n0\r\n\r\n")
                                } else {
                                    try await connection.send(body)
                                }
                                let reply = try await connection.readResponse()
                                #expect([200, 202, 401, 404].contains(reply.status), "\(path): \(reply.status)")
                                if path == "/echo", reply.status == 200 { #expect(reply.bodyText == body) }
                                answered += 1
                            }
                            return answered
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(answered == clients * requestsPerClient)
            let (after, _) = try await proxy.get("/hello")
            #expect(after.status == .ok)
        }
    }

    /// Requests nginx answers with 400 get 400 from Ferry too, over a raw socket.
    @Test func badHostHeadersAre400() async throws {
        try await ForwardingTests.withProxy { proxy, _, _ in
            let port = proxy.server.proxyPort ?? 0
            for head in [
                "GET /hello HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n",
                "GET /hello HTTP/1.1\r\n\r\n",
                "GET /hello HTTP/1.1\r\nHost:\r\n\r\n",
                "GET /hello HTTP/1.1\r\nHost: a b\r\n\r\n",
            ] {
                try await RawConnection.with(port: port) { connection in
                    try await connection.send(head)
                    let reply = try await connection.readResponse()
                    #expect(reply.status == 400, "\(head.debugDescription): \(reply.status)")
                }
            }
            let (after, _) = try await proxy.get("/hello")
            #expect(after.status == .ok)
        }
    }

    /// Routes whose body Ferry reads before deciding (login, by-user, sign-up)
    /// answer a broken chunk size with 400 as forwarding does: the client's
    /// framing broke; it did not go away (499).
    @Test func bodiesFerryReadsRefuseBrokenFramingWith400() async throws {
        let legacy = TestUpstream(name: "legacy")
        let new = TestUpstream(name: "new")
        try await legacy.start()
        try await new.start()
        let routes = """
            [[route]]
            name = "login"
            path = "/login"
            action = "login"
            [[route]]
            name = "reset"
            path = "/reset"
            action = "by_user"
            [[route]]
            name = "all"
            """
        let proxy = try await ProxyHarness(
            config: ProxyHarness.config(legacy: legacy.url, new: new.url)
                .replacingOccurrences(of: "[[route]]\nname = \"all\"", with: routes))
        let port = proxy.server.proxyPort ?? 0
        for path in ["/login", "/reset"] {
            let reply = try? await RawConnection.with(port: port) { connection in
                try await connection.send(
                    "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\nzz\r\nusername=a\r\n0\r\n\r\n")
                return try await connection.readResponse()
            }
            #expect(reply?.status == 400, "\(path): \(String(describing: reply?.status))")
        }
        try await proxy.stop()
        await legacy.stop()
        await new.stop()
    }

    /// Body framings: a broken chunk size is the client's fault (400, not a
    /// 502 counted against the upstream); trailers pass; a coding Ferry would
    /// silently drop is refused (501); an upstream's 101 is not relayed.
    @Test func bodyFramingsAndUpgrades() async throws {
        try await ForwardingTests.withProxy { proxy, _, _ in
            let port = proxy.server.proxyPort ?? 0
            try await RawConnection.with(port: port) { connection in
                try await connection.send(
                    "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
                let reply = try await connection.readResponse()
                #expect(reply.status == 400, "bad chunk size: \(reply.status) \(reply.bodyText)")
            }
            try await RawConnection.with(port: port) { connection in
                try await connection.send(
                    "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: 1\r\n\r\n"
                )
                let reply = try await connection.readResponse()
                #expect(reply.status == 200 && reply.bodyText == "hello", "trailers: \(reply.status)")
            }
            try await RawConnection.with(port: port) { connection in
                try await connection.send(
                    "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                let reply = try await connection.readResponse()
                #expect(reply.status == 501, "gzip, chunked: \(reply.status)")
            }
            let (upgrade, _) = try await proxy.get(
                "/upgrade", headers: [("Upgrade", "websocket"), ("Connection", "Upgrade")])
            #expect(upgrade.status == .badGateway)
            let (_, metrics) = try await proxy.getAdmin("/metrics")
            #expect(!metrics.contains(#"kind="unreachable""#), "a client's broken body is no upstream failure")
        }
    }

    /// HTTP/1.0 without keep-alive (and HTTP/1.1 with `Connection: close`) is
    /// answered with `Connection: close`, then the connection is closed.
    @Test func connectionsCloseWhenTheRequestAsks() async throws {
        try await ForwardingTests.withProxy { proxy, _, _ in
            let port = proxy.server.proxyPort ?? 0
            for head in [
                "GET /hello HTTP/1.0\r\nHost: x\r\n\r\n", "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            ] {
                try await RawConnection.with(port: port) { connection in
                    try await connection.send(head)
                    let reply = try await connection.readResponse()
                    #expect(reply.status == 200 && reply.header("connection") == "close", "\(head.debugDescription)")
                    #expect(try await connection.isClosedByServer(), "\(head.debugDescription)")
                }
            }
            try await RawConnection.with(port: port) { connection in
                for version in ["HTTP/1.0\r\nConnection: keep-alive", "HTTP/1.1"] {
                    try await connection.send("GET /hello \(version)\r\nHost: x\r\n\r\n")
                    let reply = try await connection.readResponse()
                    #expect(reply.status == 200 && reply.header("connection") != "close", "\(version) keeps it open")
                }
            }
        }
    }
}
