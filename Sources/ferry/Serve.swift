import ArgumentParser
import FerryConfig
import FerryProxy
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the proxy with a configuration file.",
        discussion: """
            Serves the public listener and the admin listener of the config. SIGHUP (or \
            POST /admin/reload) re-reads the file and swaps it in atomically when it is \
            valid; an invalid file is rejected and the running config stays. SIGTERM or \
            SIGINT stop accepting connections, let requests in flight finish within \
            server.shutdown_timeout, then exit 0. Access log: one JSON line per request on \
            standard output; Ferry's own log on standard error.
            """)

    @Option(name: .shortAndLong, help: "Path of the proxy.conf file.")
    var config: String

    @Flag(help: "Do not write access log lines.")
    var noAccessLog = false

    @Option(help: "Log level of Ferry's own log: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "notice"

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "ferry")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .notice
        let server: FerryServer
        do {
            server = try FerryServer(configPath: config, logger: logger, accessLog: !noAccessLog)
        } catch let error as ConfigError {
            printError(error.description)
            throw ExitCode.failure
        } catch {
            printError("ferry serve: \(error)")
            throw ExitCode.failure
        }
        do {
            try await server.run()
        } catch let error as ListenerTaken {
            printError("ferry serve: \(error)")
            throw ExitCode.failure
        }
    }
}
