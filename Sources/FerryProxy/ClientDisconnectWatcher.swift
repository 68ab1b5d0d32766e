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
        ClientDisconnectWatcher.registry.withLock { $0[ObjectIdentifier(context.channel)] = self }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        _ = ClientDisconnectWatcher.registry.withLock { $0.removeValue(forKey: ObjectIdentifier(context.channel)) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientGone()
        _ = ClientDisconnectWatcher.registry.withLock { $0.removeValue(forKey: ObjectIdentifier(context.channel)) }
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

    /// Watchers by channel, so a request handler can find its connection's.
    private static let registry = Mutex<[ObjectIdentifier: ClientDisconnectWatcher]>([:])

    static func watcher(for channel: ObjectIdentifier) -> ClientDisconnectWatcher? {
        registry.withLock { $0[channel] }
    }
}
