import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import FerryProxy

/// Header bytes that are not UTF-8 (a Latin-1 `é`, 0xE9) should reach the
/// upstream unchanged, as nginx forwards them.
///
/// Blocked: both HTTP layers on Ferry's data path hold header values as
/// `String`. NIO's HTTP/1 decoder builds each value with
/// `String(decoding:as: UTF8.self)` (swift-nio `HTTPDecoder.swift`,
/// `didReceiveHeaderValue`), which turns 0xE9 into U+FFFD before any Ferry
/// code runs, and AsyncHTTPClient's `HTTPHeaders` cannot carry a byte that is
/// not UTF-8 on the way out. Ferry owning its HTTP/1 codec and upstream
/// connections (the event-loop data path) lifts both. Until then this test
/// records the loss as a known issue and fails the day it is fixed, so the
/// note can be removed.
@Suite struct HeaderBytesTests {
    /// Answers every request with the raw bytes of its head as the body.
    static func rawEchoUpstream() async throws -> (any Channel, Int) {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(HeadEcho()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return (channel, channel.localAddress?.port ?? 0)
    }

    final class HeadEcho: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        var received: [UInt8] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += Array(buffer: unwrapInboundIn(data))
            let end = Array("\r\n\r\n".utf8)
            guard let index = received.indices.dropLast(3).first(where: { Array(received[$0..<($0 + 4)]) == end })
            else { return }
            let head = Array(received[..<(index + 4)])
            let response = Array("HTTP/1.1 200 OK\r\nContent-Length: \(head.count)\r\nConnection: close\r\n\r\n".utf8)
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: response + head)), promise: nil)
            context.close(promise: nil)
        }
    }

    @Test(.timeLimit(.minutes(1))) func latin1HeaderBytesReachTheUpstreamUnchanged() async throws {
        let (upstream, port) = try await Self.rawEchoUpstream()
        let proxy = try await ProxyHarness(
            config: ProxyHarness.config(legacy: "http://127.0.0.1:\(port)", new: "http://127.0.0.1:1"))
        var sent: [UInt8] = Array("X-Name: caf".utf8)
        sent.append(0xE9)
        let reply = try await RawConnection.with(port: proxy.server.proxyPort ?? 0) { connection in
            var request: [UInt8] = Array("GET /account HTTP/1.1\r\nHost: shop.example\r\n".utf8)
            request += sent
            request += Array("\r\nConnection: close\r\n\r\n".utf8)
            try await connection.send(request)
            return try await connection.readResponse()
        }
        #expect(reply.status == 200)
        let forwardedHead = reply.body
        func contains(_ needle: [UInt8]) -> Bool {
            forwardedHead.indices.contains { (start: Int) -> Bool in
                start + needle.count <= forwardedHead.count
                    && Array(forwardedHead[start..<(start + needle.count)]) == needle
            }
        }
        var lowercased: [UInt8] = Array("x-name: caf".utf8)
        lowercased.append(0xE9)
        withKnownIssue("NIO's HTTP/1 decoder and AsyncHTTPClient hold header values as String; 0xE9 becomes U+FFFD") {
            #expect(contains(lowercased) || contains(sent))
        }
        try await proxy.stop()
        try await upstream.close()
    }
}
