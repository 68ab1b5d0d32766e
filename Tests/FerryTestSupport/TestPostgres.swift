import FerryConfig
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL server the tests may use: `FERRY_TEST_POSTGRES_URL`, which
/// `scripts/test` sets after starting a throwaway cluster. Each test takes a
/// database of its own, so tests never see each other's rows.
public enum TestPostgres {
    public static var url: String? { ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES_URL"] }
    /// The CA that signed the throwaway server's certificate.
    public static var caFile: String? { ProcessInfo.processInfo.environment["FERRY_TEST_POSTGRES_CA"] }

    public struct NotConfigured: Error {}

    /// The server's location, password read, pointed at `database`.
    public static func location(database: String? = nil) throws -> PostgresLocation {
        guard let url else { throw NotConfigured() }
        var location = try PostgresLocation.parse(url).get()
        if case .file(let path) = location.passwordSource {
            let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            location.password = Secret(source: .file(path), value: text)
        }
        if let database { location.database = database }
        return location
    }

    /// A new, empty database on the server.
    public static func freshDatabase() async throws -> PostgresLocation {
        let name = "ferry_t_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
        try await execute(["CREATE DATABASE \(name)"], in: try location())
        return try self.location(database: name)
    }

    /// `freshDatabase()` as a URL for a config file (password by file, as the
    /// server's own URL gives it).
    public static func freshDatabaseURL() async throws -> String {
        let location = try await freshDatabase()
        guard let url, var components = URLComponents(string: url) else { throw NotConfigured() }
        components.path = "/" + location.database
        return components.string ?? url
    }

    /// Runs `statements` one after another in `location`'s database (fixtures).
    public static func execute(_ statements: [String], in location: PostgresLocation) async throws {
        // Quiet: the client may warn that a query waited for `run()` to start.
        var logger = Logger(label: "test-admin")
        logger.logLevel = .error
        let client = PostgresClient(
            configuration: .init(
                host: location.host, port: location.port, username: location.user, password: location.password?.value,
                database: location.database, tls: .disable),
            backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            for statement in statements {
                try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }
}
