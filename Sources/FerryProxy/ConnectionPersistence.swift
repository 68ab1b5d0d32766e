import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Closes a connection after the response to a request that did not ask to
/// keep it (HTTP/1.0 without `Connection: keep-alive`, or `Connection: close`),
/// and says so in the response, as RFC 9112 §9.3 requires.
///
/// The request's version is gone once Hummingbird converts the head to
/// HTTPTypes, so this sits just before that conversion. It installs itself
/// there from where Hummingbird lets handlers be added (after it), and then
/// steps out.
final class ConnectionPersistenceInstaller: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny

    func handlerAdded(context: ChannelHandlerContext) {
        let pipeline = context.pipeline.syncOperations
        if let codec = try? pipeline.context(handlerType: HTTP1ToHTTPServerCodec.self) {
            try? pipeline.addHandler(ConnectionPersistence(), position: .before(codec.handler))
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

final class ConnectionPersistence: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Whether the request being answered lets the connection stay open.
    private var keepAlive = true

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) { keepAlive = head.isKeepAlive }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where !keepAlive && head.status.code >= 200:
            head.headers.replaceOrAdd(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end where !keepAlive:
            let written = promise ?? context.eventLoop.makePromise()
            context.writeAndFlush(data, promise: written)
            let channel = context.channel
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        default:
            context.write(data, promise: promise)
        }
    }
}
