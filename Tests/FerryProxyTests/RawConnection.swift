import Foundation
import NIOCore
import NIOPosix

/// A client that writes raw bytes over a real socket and reads what comes
/// back: for what a well-behaved HTTP client never sends (a body after a
/// pause, two Host headers, a broken chunk size).
struct RawConnection {
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var buffered: [UInt8] = []
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator

    /// A response as read off the wire.
    struct Reply {
        var status: Int
        var head: String
        var body: [UInt8]
        var bodyText: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? {
            for line in head.split(separator: "\r\n").dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == name.lowercased() {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
            return nil
        }
    }

    struct Closed: Error {}

    /// Connects to 127.0.0.1:`port`, runs `body`, and closes.
    static func with<T: Sendable>(
        port: Int, _ body: (inout RawConnection) async throws -> T
    ) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = RawConnection(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&connection)
        }
    }

    private init(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.iterator = inbound
        self.outbound = outbound
    }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) async throws { try await outbound.write(ByteBuffer(bytes: bytes)) }

    /// Stops sending (a half-close), as a client does after its last request.
    func finishSending() { outbound.finish() }

    /// Reads one response: the head, then a body framed by Content-Length or
    /// chunking (none for 1xx, 204, 304 and HEAD-like answers without either).
    mutating func readResponse() async throws -> Reply {
        let headEnd = try await readUntil(Array("\r\n\r\n".utf8))
        let head = String(decoding: buffered[..<headEnd], as: UTF8.self)
        buffered.removeFirst(headEnd + 4)
        let statusLine = head.split(separator: "\r\n").first ?? ""
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        var reply = Reply(status: status, head: head, body: [])
        if let length = reply.header("content-length").flatMap(Int.init) {
            try await fill(length)
            reply.body = Array(buffered[..<length])
            buffered.removeFirst(length)
        } else if reply.header("transfer-encoding")?.lowercased().contains("chunked") == true {
            while true {
                let lineEnd = try await readUntil(Array("\r\n".utf8))
                let sizeText = String(decoding: buffered[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) ?? 0
                buffered.removeFirst(lineEnd + 2)
                if size == 0 {
                    let end = try await readUntil(Array("\r\n".utf8))
                    buffered.removeFirst(end + 2)
                    break
                }
                try await fill(size + 2)
                reply.body += buffered[..<size]
                buffered.removeFirst(size + 2)
            }
        }
        return reply
    }

    /// True when the server closes the connection having sent nothing more.
    /// (Tests bound the wait with their time limit.)
    mutating func isClosedByServer() async throws -> Bool {
        do {
            try await fill(buffered.count + 1)
            return false
        } catch is Closed {
            return buffered.isEmpty
        }
    }

    private mutating func readUntil(_ marker: [UInt8]) async throws -> Int {
        while true {
            if let range = buffered.firstRange(of: marker) { return range.lowerBound }
            try await readMore()
        }
    }

    private mutating func fill(_ count: Int) async throws {
        while buffered.count < count { try await readMore() }
    }

    private mutating func readMore() async throws {
        guard let chunk = try await iterator.next() else { throw Closed() }
        buffered += chunk.readableBytesView
    }
}
