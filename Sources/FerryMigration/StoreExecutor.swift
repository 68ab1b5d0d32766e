import Foundation

/// Threads of their own for work that blocks on a database.
///
/// State-store and legacy-source calls are synchronous SQLite calls. Run on
/// Swift's cooperative pool (two threads on a two-core machine), a database
/// held locked by another process blocked the threads every request needs: an
/// unrelated `GET` waited 9 s. Tasks that may touch a store run with this
/// executor as their preference (`run`), so a locked database holds these
/// threads, and proxied traffic keeps the cooperative pool. Until the store
/// calls themselves become async, this is the boundary.
public final class StoreExecutor: TaskExecutor, @unchecked Sendable {
    public static let shared = StoreExecutor(threads: 16)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0

    init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [unowned self] in self.work() }
            thread.name = "ferry-store-\(index)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while head == jobs.count { condition.wait() }
            let job = jobs[head]
            head += 1
            if head > 1024, head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    /// Runs `operation` with this executor as the task's preference: its
    /// synchronous database calls block these threads, never the cooperative pool.
    public static func run<T, Failure: Error>(
        isolation: isolated (any Actor)? = #isolation, _ operation: () async throws(Failure) -> T
    ) async throws(Failure) -> T {
        try await withTaskExecutorPreference(shared, isolation: isolation, operation: operation)
    }
}
