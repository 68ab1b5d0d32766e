import ArgumentParser
import AsyncHTTPClient
import FerryConfig
import FerryDemo
import FerryProxy
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PasswordHashes

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run sample legacy and new platforms with Ferry in front of them.",
        discussion: """
            Starts the sample legacy platform, the sample new platform and Ferry on loopback \
            ports with a generated config (the shape of proxy.conf.example), seeds legacy \
            users, prints URLs, demo credentials and what to try, and runs until Ctrl-C. \
            With --walkthrough it first drives a scripted tour and prints each step, saying \
            plainly which steps wait for capabilities not built yet.
            """)

    @Option(help: "First port: Ferry on it, legacy on +1, new on +2, Ferry's admin listener on +10.")
    var portBase = 8080

    @Option(help: "Legacy users to seed.")
    var users = 300

    @Option(help: "Folder for the databases, secrets and generated proxy.conf (default: a new temporary folder).")
    var dataDir: String?

    @Option(
        help:
            "Ferry's state store URL (default: ferry-state.db in the data folder); postgres://… runs it on PostgreSQL.")
    var stateURL: String?

    @Flag(help: "Drive a scripted tour before serving.")
    var walkthrough = false

    @Flag(help: "Exit after the walkthrough instead of serving until Ctrl-C.")
    var exitAfterWalkthrough = false

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        // The demo prints what matters itself; framework logs would only report
        // the servers' own shutdown when the tour ends.
        var logger = Logger(label: "ferry-demo")
        logger.logLevel = .critical
        var platformLogger = Logger(label: "legacy-platform")
        platformLogger.logLevel = .notice

        let directory = URL(
            fileURLWithPath: dataDir ?? NSTemporaryDirectory() + "ferry-demo-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ports = (ferry: portBase, legacy: portBase + 1, new: portBase + 2, admin: portBase + 10)
        for name in ["legacy.db", "new.db", "ferry-state.db"] {
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(at: directory.appendingPathComponent(name + suffix))
            }
        }
        let secrets = try DemoConfig.writeSecrets(to: directory)
        let legacyPath = directory.appendingPathComponent("legacy.db").path
        let configPath = directory.appendingPathComponent("proxy.conf").path
        let legacy = try LegacyPlatform(path: legacyPath, logger: platformLogger)
        let new = try NewPlatform(
            path: directory.appendingPathComponent("new.db").path, scimToken: secrets.scimToken,
            webhookKey: secrets.webhookKey)
        print("Seeding \(users) legacy users, and 2 whose hash only legacy can read…")
        let credentials = try DemoSeed.seed(legacy, count: users) + DemoSeed.seedOpaque(legacy, count: 2)
        var config = Self.config(ports: ports)
        if let stateURL { config.stateURL = stateURL }
        try config.text.write(toFile: configPath, atomically: true, encoding: .utf8)
        let server = try FerryServer(configPath: configPath, logger: logger, accessLog: false)

        try await withThrowingTaskGroup(of: Void.self) { group in
            let appLogger = logger
            for (router, port) in [(legacy.router(), ports.legacy), (new.router(), ports.new)] {
                let app = Application(
                    router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: appLogger
                )
                group.addTask { try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint]) }
            }
            group.addTask { try await server.run() }
            await server.waitUntilListening()

            DemoWalkthrough.printIntroduction(ports: ports, directory: directory, credentials: credentials)
            if walkthrough {
                try await DemoWalkthrough(
                    ferry: "http://127.0.0.1:\(ports.ferry)", admin: "http://127.0.0.1:\(ports.admin)",
                    legacyDirect: "http://127.0.0.1:\(ports.legacy)", adminToken: secrets.adminToken,
                    configPath: configPath, config: config, legacyPath: legacyPath, credentials: credentials
                ).run()
                if exitAfterWalkthrough {
                    await server.shutdown()
                    group.cancelAll()
                    return
                }
            }
            print("\nRunning until Ctrl-C.")
            try await group.next()
            group.cancelAll()
        }
    }

    /// The demo's proxy.conf: the shape of proxy.conf.example, pointing at the
    /// sample platforms, migrating everyone on login through SCIM. Ferry
    /// verifies the hashes it can read; for the platform's opaque `$vault$`
    /// ones, legacy's answer to the forwarded login decides.
    static func config(ports: (ferry: Int, legacy: Int, new: Int, admin: Int)) -> DemoConfig {
        var config = DemoConfig(
            ferryListen: "127.0.0.1:\(ports.ferry)", adminListen: "127.0.0.1:\(ports.admin)",
            legacyURL: "http://127.0.0.1:\(ports.legacy)", newURL: "http://127.0.0.1:\(ports.new)", target: .scim)
        config.legacyExtra = """
            # Hashes Ferry cannot read ($vault$) are judged by legacy's answer.
            verify = "auto"
            """
        config.legacyTables = """
            [legacy.answer]
            mode = "forwarded"
            # Signed in (a fresh session cookie), or asked for the second factor.
            accepted = ["status=303 location=/account cookie=legacy_session", "status=200 cookie=legacy_mfa"]
            """
        return config
    }
}

/// The demo's lines go out as they are printed, also when standard output is a
/// pipe or a file (Swift's `print` would hold them in 4 KiB blocks until exit).
private func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    DemoOutput.line(items.map { "\($0)" }.joined(separator: separator) + terminator)
}
