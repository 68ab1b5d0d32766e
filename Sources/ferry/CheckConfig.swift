import ArgumentParser
import FerryConfig

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a proxy.conf file, like `nginx -t`.",
        discussion: """
            Exits 0 and prints a summary (listeners, upstreams, routes, migration mode) when \
            the file is valid. Exits 1 and prints every problem found, each naming the file \
            and line (or the key path) and what was expected versus found. Secret files and \
            variables are read to check they are usable; their values are never printed.
            """
    )

    @Argument(help: "Path of the proxy.conf file to check.")
    var path: String

    @Flag(name: .shortAndLong, help: "Print only errors; print nothing for a valid file.")
    var quiet = false

    func run() throws {
        do {
            let config = try ProxyConfig.load(path: path)
            if !quiet {
                print(config.summary)
                print("\(path): configuration is valid")
            }
        } catch {
            printError(error.description)
            printError(
                "\(path): configuration is invalid (\(error.issues.count) problem\(error.issues.count == 1 ? "" : "s"))"
            )
            throw ExitCode.failure
        }
    }
}
