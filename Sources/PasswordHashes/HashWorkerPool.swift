import Foundation

/// A fixed set of threads for password hashing, with a bounded queue. Hash work
/// must never run on an event loop; when the queue is full, `run` fails at once
/// with `.overloaded` so the caller can fall back instead of stalling.
public final class HashWorkerPool: @unchecked Sendable {
    public enum PoolError: Error, Equatable, Sendable {
        case overloaded
        case shutDown
    }

    public let threadCount: Int
    public let queueCapacity: Int

    private let condition = NSCondition()
    private var queue: [@Sendable () -> Void] = []
    private var queueHead = 0
    private var running = true
    private var workers: [Thread] = []

    /// `threads` 0 means one per core.
    public init(threads: Int = 0, queueCapacity: Int = 256) {
        threadCount = threads > 0 ? threads : max(1, ProcessInfo.processInfo.activeProcessorCount)
        self.queueCapacity = max(1, queueCapacity)
        for index in 0..<threadCount {
            let thread = Thread { [unowned self] in self.workLoop() }
            thread.name = "ferry-hash-\(index)"
            thread.start()
            workers.append(thread)
        }
    }

    /// Jobs waiting for a thread.
    public var queuedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count - queueHead
    }

    /// Runs `work` on a pool thread and returns its result.
    public func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws(PoolError) -> T {
        let result: Result<T, PoolError> = await withCheckedContinuation { continuation in
            condition.lock()
            guard running else {
                condition.unlock()
                continuation.resume(returning: .failure(.shutDown))
                return
            }
            guard queue.count - queueHead < queueCapacity else {
                condition.unlock()
                continuation.resume(returning: .failure(.overloaded))
                return
            }
            queue.append { continuation.resume(returning: .success(work())) }
            condition.signal()
            condition.unlock()
        }
        return try result.get()
    }

    /// Lets queued jobs finish, then stops the threads.
    public func shutdown() {
        condition.lock()
        running = false
        condition.broadcast()
        condition.unlock()
    }

    private func workLoop() {
        while true {
            condition.lock()
            while queueHead == queue.count && running { condition.wait() }
            if queueHead == queue.count && !running {
                condition.unlock()
                return
            }
            let job = queue[queueHead]
            queueHead += 1
            if queueHead > 1024 && queueHead * 2 > queue.count {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            condition.unlock()
            job()
        }
    }

    deinit {
        shutdown()
    }
}
