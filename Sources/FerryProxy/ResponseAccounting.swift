import AsyncHTTPClient
import FerryConfig
import FerryMigration
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization

/// Counting what a response sent, for the access log and metrics, once it
/// has been written or abandoned.
extension ProxyResponder {
    /// Wraps the response body so `done` runs with the bytes sent once the body
    /// has been written or abandoned, after `settle` has stopped any reading of
    /// the request body (Hummingbird reads on once the body is written).
    static func finishing(
        _ response: Response, settle: @escaping @Sendable () async -> Void, done: @escaping @Sendable (Int) -> Void
    ) -> Response {
        var response = response
        let counter = ResponseCounter(done: done)
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            do {
                try await body.write(CountingWriter(base: writer, counter: counter))
            } catch {
                await settle()
                counter.finish()
                throw error
            }
            await settle()
            counter.finish()
        }
        return response
    }
}

/// Reports bytes written exactly once, also when the client went away mid-body.
final class ResponseCounter: Sendable {
    private let state = Mutex((bytes: 0, reported: false))
    private let done: @Sendable (Int) -> Void

    init(done: @escaping @Sendable (Int) -> Void) { self.done = done }

    func add(_ count: Int) { state.withLock { $0.bytes += count } }

    func finish() {
        let bytes: Int? = state.withLock {
            if $0.reported { return nil }
            $0.reported = true
            return $0.bytes
        }
        if let bytes { done(bytes) }
    }

    deinit { finish() }
}

struct CountingWriter: ResponseBodyWriter {
    var base: any ResponseBodyWriter
    let counter: ResponseCounter

    mutating func write(_ buffer: ByteBuffer) async throws {
        counter.add(buffer.readableBytes)
        try await base.write(buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await base.finish(trailingHeaders)
    }
}
