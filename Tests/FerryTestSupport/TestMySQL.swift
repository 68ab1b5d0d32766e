import FerryConfig
import Foundation

/// The MariaDB server the tests may use: `FERRY_TEST_MYSQL_URL`, which
/// `scripts/test` sets after starting a throwaway server. Each test takes a
/// database of its own. Fixtures go in through the `mariadb` command-line
/// client as root over the server's socket, not through the code under test.
public enum TestMySQL {
    public static var url: String? { ProcessInfo.processInfo.environment["FERRY_TEST_MYSQL_URL"] }
    /// The CA that signed the throwaway server's certificate.
    public static var caFile: String? { ProcessInfo.processInfo.environment["FERRY_TEST_MYSQL_CA"] }
    static var directory: String? { ProcessInfo.processInfo.environment["FERRY_TEST_MYSQL_DIR"] }

    public struct Failed: Error, CustomStringConvertible {
        public var description: String
    }

    /// The server's location, password read, pointed at `database`.
    public static func location(database: String? = nil) throws -> MySQLLocation {
        guard let url else { throw Failed(description: "FERRY_TEST_MYSQL_URL is not set") }
        var location = try MySQLLocation.parse(url).get()
        if case .file(let path) = location.passwordSource {
            let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            location.password = Secret(source: .file(path), value: text)
        }
        if let database { location.database = database }
        return location
    }

    /// A new, empty database the test user may use, as a config URL (with
    /// `options` replacing the server URL's query when given).
    public static func freshDatabaseURL(options: String? = nil) async throws -> String {
        let name = "ferry_t_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))"
        try await execute(["CREATE DATABASE \(name)"], database: nil)
        guard let url, var components = URLComponents(string: url) else {
            throw Failed(description: "FERRY_TEST_MYSQL_URL is not set")
        }
        components.path = "/" + name
        if let options { components.percentEncodedQuery = options }
        return components.string ?? url
    }

    /// The database a config URL names.
    public static func database(of url: String) -> String {
        URLComponents(string: url).map { String($0.path.dropFirst()) } ?? ""
    }

    /// Runs `statements` in `database` as root, with the session in UTC, on
    /// the throwaway server in `server` (the shared one by default).
    public static func execute(_ statements: [String], database: String?, server: String? = nil) async throws {
        // The client runs and is waited for on a dispatch thread: a test
        // blocking Swift's few cooperative threads would stall every other
        // test's deadlines.
        try await offThePool { try run(statements, database: database, server: server) }
    }

    private static func run(_ statements: [String], database: String?, server: String?) throws {
        guard let directory = server ?? directory else { throw Failed(description: "FERRY_TEST_MYSQL_DIR is not set") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mariadb")
        process.arguments = ["--defaults-file=\(directory)/my.cnf", "--user=root"] + (database.map { [$0] } ?? [])
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let script = (["SET time_zone = '+00:00';"] + statements.map { $0 + ";" }).joined(separator: "\n")
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failed(description: "mariadb: \(message)") }
    }
}
