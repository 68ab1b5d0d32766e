// The least a reverse proxy on SwiftNIO has to do, and nothing more: parse the
// client's request, strip hop-by-hop headers, add X-Forwarded-For/-Proto, send
// it on a kept-alive upstream connection of the same event loop, and write the
// answer back. No framework, no Swift Concurrency, no routing, limits, metrics
// or access log. What it reaches is the ceiling for Ferry's forwarding path on
// this machine, whatever the design above NIO.
//
// Usage: NIOFloor LISTEN_PORT UPSTREAM_PORT (both on 127.0.0.1)
import NIOCore
import NIOHTTP1
import NIOPosix

let arguments = CommandLine.arguments
guard arguments.count == 3, let listenPort = Int(arguments[1]), let upstreamPort = Int(arguments[2]) else {
    print("usage: NIOFloor LISTEN_PORT UPSTREAM_PORT")
    exit(2)
}
let upstreamAddress = try SocketAddress(ipAddress: "127.0.0.1", port: upstreamPort)
let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)

/// Idle upstream connections of one event loop; touched only on that loop, so
/// a request never leaves the thread its client connection lives on.
final class IdleConnections {
    var channels: [Channel] = []
}
let idleByLoop: [ObjectIdentifier: NIOLoopBound<IdleConnections>] = try Dictionary(
    uniqueKeysWithValues: group.makeIterator().map { loop in
        (ObjectIdentifier(loop), try loop.submit { NIOLoopBound(IdleConnections(), eventLoop: loop) }.wait())
    })

func idleConnections(of loop: EventLoop) -> IdleConnections {
    idleByLoop[ObjectIdentifier(loop)]!.value
}

let hopByHop = ["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "proxy-connection"]

/// Client side of one upstream connection: hands the answer to the request
/// it serves, then goes back to the idle list.
final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    var downstream: ProxyHandler?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let downstream else { return }
        switch unwrapInboundIn(data) {
        case .head(var head):
            for name in ["connection", "keep-alive"] { head.headers.remove(name: name) }
            downstream.send(.head(head), flush: false)
        case .body(let buffer):
            downstream.send(.body(.byteBuffer(buffer)), flush: false)
        case .end(let trailers):
            self.downstream = nil
            idleConnections(of: context.eventLoop).channels.append(context.channel)
            downstream.finish(trailers)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleConnections(of: context.eventLoop).channels.removeAll { $0 === context.channel }
        downstream?.upstreamFailed()
        downstream = nil
    }
}

/// Server side of one client connection.
final class ProxyHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var context: ChannelHandlerContext?
    private var upstream: Channel?
    private var waiting: [HTTPClientRequestPart] = []
    private var answering = false

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(var head):
            for name in hopByHop { head.headers.remove(name: name) }
            head.headers.add(name: "X-Forwarded-For", value: context.channel.remoteAddress?.ipAddress ?? "")
            head.headers.add(name: "X-Forwarded-Proto", value: "http")
            answering = true
            forward(.head(head))
        case .body(let buffer):
            forward(.body(.byteBuffer(buffer)))
        case .end(let trailers):
            forward(.end(trailers))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // An upstream connection in the middle of an answer cannot be reused.
        if let upstream, answering {
            (try? upstream.pipeline.syncOperations.handler(type: UpstreamHandler.self))?.downstream = nil
            upstream.close(promise: nil)
        }
        upstream = nil
    }

    func send(_ part: HTTPServerResponsePart, flush: Bool) {
        context?.write(wrapOutboundOut(part), promise: nil)
        if flush { context?.flush() }
    }

    func finish(_ trailers: HTTPHeaders?) {
        upstream = nil
        answering = false
        send(.end(trailers), flush: true)
    }

    func upstreamFailed() {
        upstream = nil
        answering = false
        context?.close(promise: nil)
    }

    private func forward(_ part: HTTPClientRequestPart) {
        if let upstream {
            upstream.write(part, promise: nil)
            if case .end = part { upstream.flush() }
            return
        }
        waiting.append(part)
        guard case .head = part, let context else { return }
        if let channel = idleConnections(of: context.eventLoop).channels.popLast() {
            attach(channel)
            return
        }
        let me = NIOLoopBound(self, eventLoop: context.eventLoop)
        ClientBootstrap(group: context.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler())
                }
            }
            .connect(to: upstreamAddress)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    me.value.attach(channel)
                case .failure:
                    me.value.waiting.removeAll()
                    me.value.send(.head(.init(version: .http1_1, status: .badGateway)), flush: false)
                    me.value.finish(nil)
                }
            }
    }

    private func attach(_ channel: Channel) {
        guard let handler = try? channel.pipeline.syncOperations.handler(type: UpstreamHandler.self) else {
            upstreamFailed()
            return
        }
        upstream = channel
        handler.downstream = self
        for part in waiting { channel.write(part, promise: nil) }
        waiting.removeAll(keepingCapacity: true)
        channel.flush()
    }
}

let server = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 4096)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(ProxyHandler())
        }
    }
    .bind(host: "127.0.0.1", port: listenPort)
    .wait()
try server.closeFuture.wait()
