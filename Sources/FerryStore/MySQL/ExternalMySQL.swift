import FerryConfig
import Foundation
import Logging
import NIOPosix
import Synchronization

/// Another system's MySQL or MariaDB database, used through the operator's
/// own statements, as `ExternalPostgres` is: the legacy user store (read, one
/// `READ ONLY` transaction at `REPEATABLE READ` per user, so nothing there can
/// be written) and the new platform's (written, one transaction per job).
/// Connector/C blocks, so each call runs on a thread pool of its own (not
/// NIO's shared one, whose few threads also serve file I/O); at most
/// `pool_size` connections are open, and a call waits for a free one.
public final class ExternalMySQL: Sendable {
    let location: MySQLLocation
    let timeout: Duration
    private let pool: MySQLConnectionPool
    /// Until one call has succeeded, calls may take `coldTimeout` (the first
    /// also connects, with TLS and authentication).
    private let warm = Atomic<Bool>(false)
    static let coldTimeout: Duration = .seconds(10)

    public init(location: MySQLLocation, timeout: Duration, logger: Logger = Logger(label: "ferry")) {
        self.location = location
        self.timeout = timeout
        pool = MySQLConnectionPool(location: location, timeout: timeout)
    }

    /// One snapshot: `body` runs its queries through `session`, within the deadline.
    public func read<T: Sendable>(_ body: @escaping @Sendable (MySQLSession) async throws -> T) async throws -> T {
        try await transaction(
            ["SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", "START TRANSACTION READ ONLY"], body)
    }

    /// One transaction that may write: committed when `body` returns, rolled
    /// back when it throws. When the deadline passes first the caller stops
    /// waiting, but the transaction still ends whole on the server.
    public func write<T: Sendable>(_ body: @escaping @Sendable (MySQLSession) async throws -> T) async throws -> T {
        try await transaction(["START TRANSACTION"], body)
    }

    private func transaction<T: Sendable>(
        _ start: [String], _ body: @escaping @Sendable (MySQLSession) async throws -> T
    ) async throws -> T {
        let deadline = warm.load(ordering: .relaxed) ? timeout : max(timeout, Self.coldTimeout)
        let result = try await withDeadline(deadline) { [pool] in
            // A kept connection the server has closed meanwhile (its
            // `wait_timeout`, a restart) fails on the first statement, before
            // anything ran: that one is tried once more on a new connection.
            var attempt = 0
            while true {
                attempt += 1
                do {
                    return try await pool.withConnection { connection in
                        let session = MySQLSession(connection: connection)
                        do {
                            for statement in start { try await session.run { try $0.execute(statement) } }
                        } catch let error as MySQLError where error.isConnectionLost && attempt == 1 {
                            throw StaleConnection(error: error)
                        }
                        do {
                            let result = try await body(session)
                            try await session.run { try $0.execute("COMMIT") }
                            return result
                        } catch {
                            try? await session.run { try $0.execute("ROLLBACK") }
                            throw error
                        }
                    }
                } catch is StaleConnection {
                    continue
                }
            }
        }
        warm.store(true, ordering: .relaxed)
        return result
    }

    /// Has the server check `sql` without running it (`EXPLAIN`, parameters
    /// as NULL): names of tables and columns are checked.
    public func check(_ sql: String) async throws {
        let names = MySQLParameters.pieces(sql).compactMap { piece -> String? in
            if case .parameter(let name) = piece { return name } else { return nil }
        }
        let nulls = Dictionary(names.map { ($0, String?.none) }, uniquingKeysWith: { first, _ in first })
        _ = try await read { session in try await session.rows("EXPLAIN " + sql, nulls) }
    }

    /// Streams every row of `sql` to `body` without holding them all: for
    /// reports over millions of users. No deadline: it takes as long as the
    /// table is long.
    public func forEachRow(_ sql: String, _ body: (QueryRow) throws -> Void) async throws {
        try await pool.withConnection { connection in
            let session = MySQLSession(connection: connection)
            try await session.run { try $0.execute("START TRANSACTION READ ONLY") }
            do {
                // Batches cross from the pool's thread; `body` runs here.
                try await session.run { try $0.startStreaming(sql) }
                while true {
                    let rows = try await session.run { try $0.nextRows(500) }
                    if rows.isEmpty { break }
                    for row in rows { try body(row) }
                }
                try await session.run { try $0.execute("COMMIT") }
            } catch {
                try? await session.run { connection in
                    connection.stopStreaming()
                    try connection.execute("ROLLBACK")
                }
                throw error
            }
        }
    }
}

/// The first statement found the connection closed by the server.
struct StaleConnection: Error {
    var error: MySQLError
}

/// The queries of one transaction.
public struct MySQLSession: Sendable {
    let connection: MariaDBConnection

    /// Runs `sql` with its `:name` parameters put in as escaped literals.
    public func rows(_ sql: String, _ parameters: [String: String?]) async throws -> [QueryRow] {
        let connection = connection
        let statement = try MySQLParameters.statement(sql, parameters, literal: connection.literal)
        return try await run { try $0.rows(statement) }
    }

    /// One blocking call on the thread pool.
    func run<T: Sendable>(_ call: @escaping @Sendable (MariaDBConnection) throws -> T) async throws -> T {
        let connection = connection
        return try await MySQLThreads.pool.runIfActive { try call(connection) }
    }
}

/// The threads every MySQL call blocks on: enough for several databases'
/// pools at once, started when first needed, never stopped.
enum MySQLThreads {
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 32)
        pool.start()
        return pool
    }()
}

/// At most `pool_size` open connections; a caller waits for a free one.
final class MySQLConnectionPool: Sendable {
    private struct State {
        var idle: [MariaDBConnection] = []
        var open = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    let location: MySQLLocation
    let timeout: Duration

    init(location: MySQLLocation, timeout: Duration) {
        self.location = location
        self.timeout = timeout
    }

    /// Runs `body` with a connection; one that failed at the connection level
    /// is closed instead of kept.
    func withConnection<T: Sendable>(_ body: (MariaDBConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let result = try await body(connection)
            release(connection, reusable: true)
            return result
        } catch {
            let lost = (error as? MySQLError)?.isConnectionLost ?? (error is StaleConnection)
            release(connection, reusable: !lost)
            throw error
        }
    }

    private func acquire() async throws -> MariaDBConnection {
        while true {
            enum Next {
                case use(MariaDBConnection)
                case open
                case wait
            }
            let next = state.withLock { state -> Next in
                if let connection = state.idle.popLast() { return .use(connection) }
                if state.open < location.poolSize {
                    state.open += 1
                    return .open
                }
                return .wait
            }
            switch next {
            case .use(let connection): return connection
            case .open:
                let (location, timeout) = (location, timeout)
                do {
                    return try await MySQLThreads.pool.runIfActive {
                        try MariaDBConnection(location, timeout: timeout)
                    }
                } catch {
                    state.withLock { $0.open -= 1 }
                    wakeOne()
                    throw error
                }
            case .wait:
                await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                    let free = state.withLock { state -> Bool in
                        if !state.idle.isEmpty || state.open < location.poolSize { return true }
                        state.waiters.append(waiter)
                        return false
                    }
                    if free { waiter.resume() }
                }
            }
        }
    }

    private func release(_ connection: MariaDBConnection, reusable: Bool) {
        state.withLock { state in
            if reusable { state.idle.append(connection) } else { state.open -= 1 }
        }
        wakeOne()
    }

    private func wakeOne() {
        let waiter = state.withLock { state in state.waiters.isEmpty ? nil : state.waiters.removeFirst() }
        waiter?.resume()
    }
}
