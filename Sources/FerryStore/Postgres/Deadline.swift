import Synchronization

/// A database's answer did not come in time (the state store's, or another
/// system's database Ferry reads or writes).
public struct StoreTimeout: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String { "the database did not answer in time" }
}

/// Runs `operation` but answers by `limit`: a login must not wait on a
/// database that is failing over. The operation is not abandoned halfway — a
/// transaction still commits or rolls back as a whole on the server — only the
/// caller stops waiting for the verdict, and takes `state.on_unavailable`.
/// (Cancelling a task group would wait for a query that ignores cancellation.)
func withDeadline<T: Sendable>(
    _ limit: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let settlement = Settlement(continuation)
        let work = Task {
            do { settlement.settle(.success(try await operation())) } catch { settlement.settle(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: limit)
            settlement.settle(.failure(StoreTimeout()))
            work.cancel()
        }
    }
}

/// Resumes a continuation once, whichever side comes first.
private final class Settlement<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func settle(_ result: Result<T, any Error>) {
        continuation.withLock { pending in
            defer { pending = nil }
            return pending
        }?.resume(with: result)
    }
}
