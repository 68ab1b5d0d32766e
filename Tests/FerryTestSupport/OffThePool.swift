import Foundation

/// Runs blocking work — waiting for a child process, reading its pipes — on a
/// dispatch thread. Swift's cooperative pool has one thread per core, two on
/// the CI machine: a test blocking one of them stalls every other test's
/// deadlines, and short timeouts in the processes under test (a one-second
/// target timeout) start to fire for reasons that are the test's own.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (done: CheckedContinuation<T, any Error>) in
        DispatchQueue.global().async {
            do {
                done.resume(returning: try work())
            } catch {
                done.resume(throwing: error)
            }
        }
    }
}

extension Process {
    /// Waits for the process to end without holding a cooperative thread.
    public func ended() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.waitUntilExit()
                done.resume()
            }
        }
    }
}
