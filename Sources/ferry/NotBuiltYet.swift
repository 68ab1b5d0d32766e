import ArgumentParser
import FerryConfig

// Verbs whose capability is owned by a later issue. They say so plainly and fail,
// rather than pretending to work.

struct NotBuiltYet: Error, CustomStringConvertible {
    var verb: String
    var capability: String
    var description: String { "ferry \(verb): not built yet — it arrives with \(capability)." }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the proxy with a configuration file.",
        discussion: "SIGHUP reloads the configuration; SIGTERM drains in-flight requests and exits.")

    @Option(name: .shortAndLong, help: "Path of the proxy.conf file.")
    var config: String

    func run() throws {
        do {
            _ = try ProxyConfig.load(path: config)
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
        printError(NotBuiltYet(verb: "serve", capability: "the reverse-proxy capability (issue #4)").description)
        throw ExitCode.failure
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Report where the migration stands.")

    func run() throws {
        printError(
            NotBuiltYet(verb: "status", capability: "the migration-operations capability (issue #8)").description)
        throw ExitCode.failure
    }
}

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run sample legacy and new platforms with Ferry in front of them.")

    func run() throws {
        printError(NotBuiltYet(verb: "demo", capability: "the sample-platforms capability (issue #5)").description)
        throw ExitCode.failure
    }
}
