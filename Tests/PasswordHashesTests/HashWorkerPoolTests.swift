import Foundation
import Testing

@testable import PasswordHashes

struct HashWorkerPoolTests {
    @Test func runsWorkOnPoolThreads() async throws {
        let pool = HashWorkerPool(threads: 2, queueCapacity: 8)
        defer { pool.shutdown() }
        #expect(!HashWorkerPool.isWorkerThread)
        #expect(try await pool.run { HashWorkerPool.isWorkerThread })
        // The name the kernel has for the thread (what gdb and `top -H` show).
        let name = try await pool.run { try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8) }
        #expect(name == HashWorkerPool.threadName + "\n")
        let result = try await pool.run {
            HashCatalog().verify(password: "password", hash: "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=")
        }
        #expect(result == .match(scheme: "ldap-sha"))
    }

    @Test func fullQueueFailsAtOnceWithOverloaded() async throws {
        let pool = HashWorkerPool(threads: 1, queueCapacity: 2)
        defer { pool.shutdown() }
        let gate = DispatchSemaphore(value: 0)
        // One job occupies the only thread, then two more fill the queue.
        var blockers = [Task { try await pool.run { gate.wait() } }]
        while pool.activeCount < 1 { try await Task.sleep(for: .milliseconds(5)) }
        blockers += (0..<2).map { _ in Task { try await pool.run { gate.wait() } } }
        while pool.queuedCount < 2 { try await Task.sleep(for: .milliseconds(5)) }
        await #expect(throws: HashWorkerPool.PoolError.overloaded) { try await pool.run { 1 } }
        for _ in 0..<3 { gate.signal() }
        for blocker in blockers { try await blocker.value }
        #expect(try await pool.run { 2 } == 2)
    }

    @Test func shutDownPoolRefusesWork() async {
        let pool = HashWorkerPool(threads: 1, queueCapacity: 1)
        pool.shutdown()
        await #expect(throws: HashWorkerPool.PoolError.shutDown) { try await pool.run { 1 } }
    }

    @Test func manyConcurrentVerificationsAllComplete() async throws {
        let pool = HashWorkerPool(threads: 0, queueCapacity: 64)
        defer { pool.shutdown() }
        let vector = KnownVectors.digests[0]
        let matches = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<64 {
                group.addTask {
                    try await pool.run {
                        HashCatalog().verify(password: index % 2 == 0 ? "password" : "wrong", hash: vector.hash).isMatch
                    }
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(matches == 32)
    }
}
