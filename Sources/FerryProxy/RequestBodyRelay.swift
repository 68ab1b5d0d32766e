import Hummingbird
import NIOCore
import Synchronization

/// The one reader of a request body that is streamed to an upstream.
///
/// Hummingbird reads a connection's requests through one iterator, and after a
/// handler returns it reads on by itself to skip what is left of the body. The
/// upstream client streams the body from a task of its own, which can still be
/// waiting for the client's next bytes when the upstream answers early (a 404,
/// a 401, a redirect) and the handler returns: two readers of one iterator stop
/// the process. So only this relay reads the body. It hands chunks to the
/// upstream call while that call wants them, and once the answer has been
/// written, `settle` drops the rest — for up to `lingerLimit`, as nginx's
/// lingering close does — or closes the connection, and only returns when it
/// has stopped reading.
final class RequestBodyRelay: Sendable {
    /// How long a body the upstream no longer wants is read and dropped before
    /// the connection is closed instead.
    static let lingerLimit: Duration = .seconds(5)

    /// How reading the body ended.
    enum Ending: Sendable {
        /// Read to its end: the connection can carry another request.
        case complete
        /// Past the body limit, or the client's stream failed: the connection must close.
        case broken
    }

    private let handoff: Handoff
    private let pump: Task<Ending, Never>

    init<Body: AsyncSequence & Sendable>(_ body: Body, meter: BodyMeter) where Body.Element == ByteBuffer {
        let handoff = Handoff()
        self.handoff = handoff
        pump = Task {
            do {
                for try await chunk in body {
                    guard meter.add(chunk.readableBytes) else {
                        handoff.end(.failure(BodyTooLarge()), reading: .broken)
                        return .broken
                    }
                    await handoff.deliver(chunk)
                }
                handoff.end(.success(()), reading: .complete)
                return .complete
            } catch {
                handoff.end(.failure(error), reading: .broken)
                return .broken
            }
        }
    }

    /// Why reading the client's body failed, once it has (a framing error,
    /// the client gone); nil while reading or after a clean end.
    var readFailure: (any Error)? { handoff.failure }

    /// The body as the upstream client reads it.
    var upstreamBody: UpstreamBody { UpstreamBody(relay: self) }

    struct UpstreamBody: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let relay: RequestBodyRelay

        struct AsyncIterator: AsyncIteratorProtocol {
            let relay: RequestBodyRelay
            mutating func next() async throws -> ByteBuffer? { try await relay.handoff.take() }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(relay: relay) }
    }

    /// Called once the answer has been written (or abandoned): stops handing
    /// bytes to the upstream, drops the rest of the body for up to
    /// `lingerLimit`, and closes `channel` when the body cannot be finished. On
    /// return the relay no longer reads, so Hummingbird may.
    func settle(closing channel: any Channel) async {
        handoff.abandon()
        let ending = await handoff.ending(within: Self.lingerLimit)
        if ending != .complete {
            // Closing the input ends the client's stream, which ends the pump's
            // read, while the answer still being flushed goes out: a full close
            // here raced the answer (the client saw the connection drop instead
            // of its 400 when the machine was busy). Hummingbird closes the rest
            // once the answer is written.
            channel.close(mode: .input).whenFailure { _ in channel.close(promise: nil) }
            _ = await pump.value
        }
    }
}

/// One chunk at a time from the relay's reader to the upstream call: the
/// reader waits until the chunk is taken, so a slow upstream slows the client.
private final class Handoff: Sendable {
    private struct State {
        var pending: ByteBuffer?
        var consumer: CheckedContinuation<ByteBuffer?, any Error>?
        var producer: CheckedContinuation<Void, Never>?
        /// Set when the body has been read to its end, or failed.
        var end: Result<Void, any Error>?
        /// Set once the upstream call no longer wants bytes: the rest is dropped.
        var abandoned = false
        /// How the reading ended, once it has.
        var reading: RequestBodyRelay.Ending?
        var settling: CheckedContinuation<RequestBodyRelay.Ending?, Never>?
        var lingerOver = false
    }

    private let state = Mutex(State())

    var failure: (any Error)? {
        state.withLock { state in
            if case .failure(let error)? = state.end { return error }
            return nil
        }
    }

    /// The upstream call wants no more: wake both sides; later chunks are dropped.
    func abandon() {
        let (producer, consumer) = state.withLock { state in
            state.abandoned = true
            state.pending = nil
            defer {
                state.producer = nil
                state.consumer = nil
            }
            return (state.producer, state.consumer)
        }
        producer?.resume()
        consumer?.resume(throwing: CancellationError())
    }

    func take() async throws -> ByteBuffer? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                enum Answer {
                    case chunk(ByteBuffer, CheckedContinuation<Void, Never>?)
                    case end(Result<Void, any Error>)
                    case wait
                }
                let answer: Answer = state.withLock { state in
                    if state.abandoned { return .end(.failure(CancellationError())) }
                    if let chunk = state.pending {
                        state.pending = nil
                        defer { state.producer = nil }
                        return .chunk(chunk, state.producer)
                    }
                    if let end = state.end { return .end(end) }
                    state.consumer = continuation
                    return .wait
                }
                switch answer {
                case .chunk(let chunk, let producer):
                    producer?.resume()
                    continuation.resume(returning: chunk)
                case .end(.success):
                    continuation.resume(returning: nil)
                case .end(.failure(let error)):
                    continuation.resume(throwing: error)
                case .wait:
                    break
                }
            }
        } onCancel: {
            let consumer = state.withLock { state in
                defer { state.consumer = nil }
                return state.consumer
            }
            consumer?.resume(throwing: CancellationError())
        }
    }

    /// Hands one chunk over, waiting until the upstream call took it (or no
    /// longer wants any).
    func deliver(_ chunk: ByteBuffer) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            enum Step {
                case handed(CheckedContinuation<ByteBuffer?, any Error>)
                case dropped
                case waiting
            }
            let step: Step = state.withLock { state in
                if state.abandoned { return .dropped }
                if let consumer = state.consumer {
                    state.consumer = nil
                    return .handed(consumer)
                }
                state.pending = chunk
                state.producer = continuation
                return .waiting
            }
            switch step {
            case .handed(let consumer):
                consumer.resume(returning: chunk)
                continuation.resume()
            case .dropped:
                continuation.resume()
            case .waiting:
                break
            }
        }
    }

    /// How the reading ended, or nil when it has not within `limit`.
    func ending(within limit: Duration) async -> RequestBodyRelay.Ending? {
        let timer = Task {
            try? await Task.sleep(for: limit)
            let settling = state.withLock { state in
                state.lingerOver = true
                defer { state.settling = nil }
                return state.settling
            }
            settling?.resume(returning: nil)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let answer: RequestBodyRelay.Ending?? = state.withLock { state in
                if let reading = state.reading { return .some(reading) }
                if state.lingerOver { return .some(nil) }
                state.settling = continuation
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

    func end(_ end: Result<Void, any Error>, reading: RequestBodyRelay.Ending) {
        let (consumer, settling) = state.withLock { state in
            state.end = end
            state.reading = reading
            defer {
                state.consumer = nil
                state.settling = nil
            }
            return (state.consumer, state.settling)
        }
        settling?.resume(returning: reading)
        switch end {
        case .success: consumer?.resume(returning: nil)
        case .failure(let error): consumer?.resume(throwing: error)
        }
    }
}
