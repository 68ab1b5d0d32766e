import NIOCore
import Synchronization

/// Notices that a client went away while Ferry waits for the upstream, so the
/// upstream request can be cancelled instead of running to its timeout.
///
/// One watcher per connection, holding at most one cancellation (HTTP/1.1
/// serves one request at a time per connection), so a long keep-alive
/// connection does not pile up callbacks.
final class ClientDisconnectWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny

    private struct State {
        var cancel: (@Sendable () -> Void)?
        var gone = false
    }

    private let state = Mutex(State())
    private let watchers: ConnectionWatchers

    init(watchers: ConnectionWatchers) {
        self.watchers = watchers
    }

    /// Runs `operation`, calling `cancel` if the client disconnects meanwhile.
    func whileWaiting<T>(cancel: @escaping @Sendable () -> Void, _ operation: () async throws -> T) async rethrows -> T
    {
        let alreadyGone = state.withLock { state -> Bool in
            if state.gone { return true }
            state.cancel = cancel
            return false
        }
        if alreadyGone { cancel() }
        defer { state.withLock { $0.cancel = nil } }
        return try await operation()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        watchers.add(self, for: ObjectIdentifier(context.channel))
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        watchers.remove(ObjectIdentifier(context.channel))
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientGone()
        watchers.remove(ObjectIdentifier(context.channel))
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { clientGone() }
        context.fireUserInboundEventTriggered(event)
    }

    private func clientGone() {
        let cancel = state.withLock { state -> (@Sendable () -> Void)? in
            state.gone = true
            defer { state.cancel = nil }
            return state.cancel
        }
        cancel?()
    }
}

/// One server's disconnect watchers by connection, so that a request handler
/// finds its own connection's. Owned by the server, not the process: two
/// servers in one process (tests, the demo) never see each other's.
///
/// Why not Hummingbird's `RequestBody.consumeWithInboundCloseHandler`: it
/// learns of a close by reading the connection past the request, which takes
/// the next request's head and ends keep-alive ("if the response finishes the
/// connection will be closed") — a proxy would reconnect every client on every
/// request. A handler in the pipeline sees `channelInactive` and half-closure
/// without reading anything.
final class ConnectionWatchers: Sendable {
    private let watchers = Mutex<[ObjectIdentifier: ClientDisconnectWatcher]>([:])

    func add(_ watcher: ClientDisconnectWatcher, for channel: ObjectIdentifier) {
        watchers.withLock { $0[channel] = watcher }
    }

    func remove(_ channel: ObjectIdentifier) {
        _ = watchers.withLock { $0.removeValue(forKey: channel) }
    }

    func watcher(for channel: ObjectIdentifier) -> ClientDisconnectWatcher? {
        watchers.withLock { $0[channel] }
    }

    var count: Int { watchers.withLock { $0.count } }
}
