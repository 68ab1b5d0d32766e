import Foundation

/// A fixed set of threads for password hashing, with a bounded queue. Hash work
/// must never run on an event loop; when the queue is full, `run` fails at once
/// with `.overloaded` so the caller can fall back instead of stalling. Worker
/// threads keep the pool alive until `shutdown()`.
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
    private var active = 0

    /// `threads` 0 means one per core.
    public init(threads: Int = 0, queueCapacity: Int = 256) {
        threadCount = threads > 0 ? threads : max(1, ProcessInfo.processInfo.activeProcessorCount)
        self.queueCapacity = max(1, queueCapacity)
        for _ in 0..<threadCount {
            // Plain pthreads: hash work must run on threads Ferry owns, never on
            // the concurrency runtime's or Dispatch's, which it would starve.
            let context = Unmanaged.passRetained(WorkerContext(pool: self))
            var thread = pthread_t()
            let status = pthread_create(
                &thread, nil,
                { raw in
                    let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                    pthread_setspecific(workerThreadKey, UnsafeRawPointer(bitPattern: 1))
                    // Otherwise a new thread carries its creator's name
                    // ("…default-qos"), and a crash report cannot tell the
                    // hash workers from the concurrency runtime's threads.
                    Thread.current.name = HashWorkerPool.threadName
                    context.pool.workLoop()
                    return nil
                }, context.toOpaque())
            precondition(status == 0, "pthread_create failed: \(status)")
            pthread_detach(thread)
        }
    }

    private final class WorkerContext {
        let pool: HashWorkerPool
        init(pool: HashWorkerPool) { self.pool = pool }
    }

    /// What `top -H`, gdb and crash reports call the worker threads.
    public static let threadName = "ferry-hash"

    /// Whether the calling thread is a hash worker of some pool.
    public static var isWorkerThread: Bool { pthread_getspecific(workerThreadKey) != nil }

    /// Jobs running on a worker thread right now.
    public var activeCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return active
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

    fileprivate func workLoop() {
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
            active += 1
            condition.unlock()
            job()
            condition.lock()
            active -= 1
            condition.unlock()
        }
    }

}

/// Marks hash worker threads, so code and tests can tell where work runs.
private let workerThreadKey: pthread_key_t = {
    var key = pthread_key_t()
    precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
    return key
}()
