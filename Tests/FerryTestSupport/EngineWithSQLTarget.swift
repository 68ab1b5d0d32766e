import FerryConfig
import FerryMigration
import FerryStore
import Foundation
import Logging
import PasswordHashes
import Testing

/// A migration engine over a real legacy source (SQLite, PostgreSQL or LDAP,
/// as `[legacy]` says) and a real SQLite sql target,
/// with an in-memory state store: `sections` are the `[legacy…]`, `[target]`
/// and `[migration…]` tables; the server, state and upstream tables are fixed.
/// Shut the pool down when done.
public func engineWithSQLTarget(_ sections: String, environment: [String: String] = [:]) throws -> (
    MigrationEngine, HashWorkerPool
) {
    let config = try ProxyConfig.parse(
        """
        [server]
        listen = "127.0.0.1:0"
        [state]
        encryption_key_env = "KEY"
        [upstreams.legacy]
        url = "http://127.0.0.1:1"
        [upstreams.new]
        url = "http://127.0.0.1:2"
        \(sections)
        """, file: "t.conf", baseDirectory: "/tmp",
        environment: environment.merging(["KEY": String(repeating: "ab", count: 32)]) { mine, _ in mine })
    let pool = HashWorkerPool(threads: 2, queueCapacity: 16)
    let services = MigrationServices(
        store: InMemoryStateStore(), hashPool: pool, sealer: try JobSealer(key: Array(repeating: 0xAB, count: 32)),
        logger: Logger(label: "test"), clock: { Date() })
    let source = try LegacySources.open(try #require(config.legacy))
    let sql = try SQLTarget(settings: try #require(config.target))
    return (MigrationEngine(config: config, services: services, source: source, target: sql), pool)
}
