import Hummingbird
import Logging
import Synchronization

/// A router served on a loopback port: the one way tests start an HTTP server
/// (sample platforms, test upstreams). Ready when Hummingbird says it is
/// listening (`onServerRunning`), never by polling the port. The port survives
/// `stop()` and `start()`, so a test can take a server down and bring it back.
public final class TestServer: Sendable {
    let makeRouter: @Sendable () -> Router<BasicRequestContext>
    private let state = Mutex<(port: Int, task: Task<Void, any Error>?)>((0, nil))

    public init(_ makeRouter: @escaping @Sendable () -> Router<BasicRequestContext>) {
        self.makeRouter = makeRouter
    }

    public var port: Int { state.withLock { $0.port } }
    public var url: String { "http://127.0.0.1:\(port)" }

    public func start() async throws {
        let ready = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "test-server")
        // Cancelling the app at the end of a test logs a harmless error.
        logger.logLevel = .critical
        let app = Application(
            router: makeRouter(), configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { ready.continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let task = Task {
            // A server that cannot start (its port taken while it was stopped)
            // ends the wait for readiness instead of leaving it hanging.
            defer { ready.continuation.finish() }
            try await app.runService(gracefulShutdownSignals: [])
        }
        var iterator = ready.stream.makeAsyncIterator()
        guard let bound = await iterator.next() else {
            _ = await task.result
            throw TestServerError.couldNotStart(port: port)
        }
        state.withLock { $0 = (bound, task) }
    }

    public func stop() async {
        let task = state.withLock { $0.task }
        task?.cancel()
        _ = await task?.result
    }
}

public enum TestServerError: Error {
    /// The server ended before it listened (say, its port was taken).
    case couldNotStart(port: Int)
}
