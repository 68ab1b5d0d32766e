import FerryMigration
import FerryTestSupport
import Foundation
import Testing

/// Runs the built `ferry` binary as an operator would and checks what it prints.
struct CommandLineTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `ferry`; the process is waited for off Swift's cooperative pool.
    static func ferry(_ arguments: [String], input: String? = nil, environment: [String: String]? = nil) async throws
        -> Run
    {
        try await offThePool { try runWaiting(arguments, input: input, environment: environment) }
    }

    private static func runWaiting(_ arguments: [String], input: String?, environment: [String: String]?) throws -> Run
    {
        // The test runner sits next to the products it was built with.
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("ferry")
        let candidates = [
            binary, binary.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("ferry"),
        ]
        guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: binary.path])
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        let stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        try process.run()
        // Feed stdin from another thread so a large input cannot deadlock on full pipes.
        let feeder = Thread {
            if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
            try? stdin.fileHandleForWriting.close()
        }
        feeder.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func checkConfigAcceptsTheExample() async throws {
        let run = try await Self.ferry(["check-config", "proxy.conf.example"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("proxy.conf.example: configuration is valid"))
        #expect(run.stdout.contains("migration  mode off"))
        #expect(run.stdout.contains("listener   0.0.0.0:8080"))
    }

    @Test func checkConfigRejectsABrokenFileWithEveryProblem() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-broken-\(UUID()).conf")
        try """
        [server]
        listen = "127.0.0.1:8080"
        max_body_size = "lots"
        [migration]
        rollout_percent = 150
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try await Self.ferry(["check-config", file.path])
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(
            run.stderr == """
                \(file.path):3: key `server.max_body_size` must be a size like "512", "16KiB", "10MiB" or "1GiB", found string "lots"
                \(file.path):5: key `migration.rollout_percent` must be between 0 and 100, found 150
                \(file.path): configuration is invalid (2 problems)

                """)
    }

    /// Typos and bytes that once made the TOML parser abort `check-config`.
    @Test(arguments: [
        Array("[".utf8), Array("[=route]]".utf8), Array("[.state]".utf8), Array("[}erver]".utf8),
        Array("[édmin]".utf8), [0x5B, 0xFF, 0xFE, 0x5D], [0x61, 0x20, 0x3D, 0x20, 0x22, 0x00, 0x22],
    ])
    func checkConfigRefusesAnyBytesWithALine(bytes: [UInt8]) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-typo-\(UUID()).conf")
        try Data(Array("[server]\nlisten = \"127.0.0.1:8080\"\n".utf8) + bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try await Self.ferry(["check-config", file.path])
        #expect(run.status == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.hasPrefix("\(file.path):3"), "stderr: \(run.stderr)")
        #expect(run.stderr.contains("configuration is invalid (1 problem"))
    }

    /// `--connect` opens the databases a config names and prepares its queries.
    @Test func checkConfigConnectFindsMissingDatabasesAndColumns() async throws {
        let (directory, config) = try Self.minimalConfig()
        defer { try? FileManager.default.removeItem(at: directory) }
        func write(_ userQuery: String) throws {
            try """
            [server]
            listen = "127.0.0.1:0"
            [state]
            url = "sqlite://state.db"
            [legacy]
            database = "sqlite://legacy.db"
            user_query = "\(userQuery)"
            """.write(to: config, atomically: true, encoding: .utf8)
        }
        let good = "SELECT id AS legacy_id, pw AS password_hash FROM users WHERE name = :identifier"
        try write(good)
        let noDatabase = try await Self.ferry(["check-config", "--connect", config.path])
        #expect(noDatabase.status == 1)
        #expect(noDatabase.stderr.contains("legacy.database: database file"), "\(noDatabase.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("state.db").path))

        let maker = Process()
        maker.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        maker.arguments = [
            "python3", "-c",
            "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute('CREATE TABLE users (id, name, pw)')",
            directory.appendingPathComponent("legacy.db").path,
        ]
        try maker.run()
        await maker.ended()
        try write("SELECT id AS legacy_id, pw AS password_hash, nickname FROM users WHERE name = :identifier")
        let badColumn = try await Self.ferry(["check-config", "--connect", config.path])
        #expect(badColumn.status == 1)
        #expect(badColumn.stderr.contains("legacy.user_query: no such column: nickname"), "\(badColumn.stderr)")

        try write(good)
        let fine = try await Self.ferry(["check-config", "--connect", config.path])
        #expect(fine.status == 0, "\(fine.stderr)")
        #expect(fine.stdout.contains("connect ok  legacy.user_query"))

        try write("SELECT id AS legacy_id, pw FROM users WHERE name = :identifier")
        let noAlias = try await Self.ferry(["check-config", config.path])
        #expect(noAlias.status == 1)
        #expect(noAlias.stderr.contains("must return `password_hash`"), "\(noAlias.stderr)")
    }

    @Test func helpDescribesEveryVerbAndOption() async throws {
        let help = try await Self.ferry(["--help"])
        #expect(help.status == 0)
        for verb in ["serve", "check-config", "hash", "status", "stragglers", "users", "demo", "version"] {
            #expect(help.stdout.contains("  \(verb)"), "ferry --help does not list \(verb)")
        }
        let checkHelp = try await Self.ferry(["check-config", "--help"])
        #expect(checkHelp.status == 0)
        #expect(checkHelp.stdout.contains("<path>"))
        #expect(checkHelp.stdout.contains("Path of the proxy.conf file to check."))
        #expect(checkHelp.stdout.contains("--quiet"))
        let serveHelp = try await Self.ferry(["serve", "--help"])
        #expect(serveHelp.stdout.contains("--config <config>"))
    }

    /// A folder holding a proxy.conf with only a listener and a state store.
    static func minimalConfig() throws -> (directory: URL, config: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-cli-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("proxy.conf")
        try "[server]\nlisten = \"127.0.0.1:0\"\n[state]\nurl = \"sqlite://state.db\"\n".write(
            to: config, atomically: true, encoding: .utf8)
        return (directory, config)
    }

    @Test func auditVerifyChecksTheStateStoreOfAConfig() async throws {
        let (directory, config) = try Self.minimalConfig()
        defer { try? FileManager.default.removeItem(at: directory) }
        // No store yet: an error, and no empty database is created to call "intact".
        let missing = try await Self.ferry(["audit", "verify", "--config", config.path])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("does not exist"), "stderr: \(missing.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(!files.contains { $0.hasSuffix(".db") }, "\(files)")
    }

    /// A listener whose port is taken ends `ferry serve` with the bind error
    /// and status 1. It used to crash: the HTTP clients were dropped without
    /// being shut down, and AsyncHTTPClient traps on that.
    @Test(.timeLimit(.minutes(1))) func aTakenPortIsAnErrorNotACrash() async throws {
        let (directory, config) = try Self.minimalConfig()
        defer { try? FileManager.default.removeItem(at: directory) }
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        let port = freeLoopbackPort()
        try #require(bindLoopback(holder, port: port) && listen(holder, 1) == 0)
        try """
        [server]
        listen = "127.0.0.1:0"
        [admin]
        listen = "127.0.0.1:\(port)"
        [state]
        url = "sqlite://state.db"
        [upstreams.legacy]
        url = "http://127.0.0.1:1"
        """.write(to: config, atomically: true, encoding: .utf8)
        let run = try await Self.ferry(["serve", "--config", config.path])
        #expect(run.status == 1, "\(run.stderr.suffix(2000))")
        #expect(
            run.stderr.contains("ferry serve: admin.listen 127.0.0.1:\(port): address already in use"),
            "\(run.stderr.suffix(2000))")
        #expect(!run.stderr.contains("Fatal error"))
    }

    @Test func versionPrintsTheVersion() async throws {
        let run = try await Self.ferry(["version"])
        #expect(run.status == 0)
        // The release instances report to each other and the status page shows.
        #expect(run.stdout == "ferry \(FerryVersion.current)\n")
    }

    @Test func statusReadsTheStore() async throws {
        let (directory, config) = try Self.minimalConfig()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = try await Self.ferry(["status", "--config", config.path])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("does not exist; has `ferry serve` run with this config?"))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("state.db").path))
        // An empty file is an empty SQLite database, as `ferry serve` leaves it.
        #expect(
            FileManager.default.createFile(atPath: directory.appendingPathComponent("state.db").path, contents: nil))
        let table = try await Self.ferry(["status", "--config", config.path])
        #expect(table.status == 0, "stderr: \(table.stderr)")
        #expect(table.stdout.contains("migrated"))
        #expect(table.stdout.contains("unknown (set legacy.all_users_query)"))
        let json = try await Self.ferry(["status", "--config", config.path, "--json"])
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["migrated"] as? Int == 0)
        #expect(object?["mode"] as? String == "off")
    }

    @Test func stragglersNeedsALegacySource() async throws {
        let (directory, config) = try Self.minimalConfig()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(
            FileManager.default.createFile(atPath: directory.appendingPathComponent("state.db").path, contents: nil))
        let run = try await Self.ferry(["stragglers", "--config", config.path])
        #expect(run.status == 1)
        #expect(run.stderr.contains("no [legacy] section"))
        let badFormat = try await Self.ferry(["stragglers", "--config", config.path, "--format", "ldif"])
        #expect(badFormat.status != 0)
        #expect(badFormat.stderr.contains("unknown format \"ldif\""))
    }
}
