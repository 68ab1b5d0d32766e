import ArgumentParser
import FerryConfig
import FerryMigration

struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a proxy.conf file, like `nginx -t`.",
        discussion: """
            Exits 0 and prints a summary (listeners, upstreams, routes, migration mode) when \
            the file is valid. Exits 1 and prints every problem found, each naming the file \
            and line (or the key path) and what was expected versus found. Secret files and \
            variables are read to check they are usable; their values are never printed. \
            With --connect it also opens every SQL database the file names (read-only; the \
            state store is never created) and prepares every query and statement, so that a \
            missing database, table or column shows now rather than at the first login; a \
            SCIM target is asked for its /ServiceProviderConfig and a webhook target gets a \
            signed ping event, both with Ferry's credentials, and sessions.jwks_url is fetched.
            """
    )

    @Argument(help: "Path of the proxy.conf file to check.")
    var path: String

    @Flag(name: .shortAndLong, help: "Print only errors; print nothing for a valid file.")
    var quiet = false

    @Flag(help: "Also open every SQL database, prepare every query and call the HTTP target once.")
    var connect = false

    func run() async throws {
        let config: ProxyConfig
        do {
            config = try ProxyConfig.load(path: path)
        } catch {
            printError(error.description)
            printError(
                "\(path): configuration is invalid (\(error.issues.count) problem\(error.issues.count == 1 ? "" : "s"))"
            )
            throw ExitCode.failure
        }
        if connect {
            var findings = await ConnectionCheck.run(config)
            findings += await ConnectionCheck.probeHTTP(config)
            for finding in findings where !quiet || finding.problem != nil {
                if let problem = finding.problem {
                    printError("\(path): \(finding.key): \(problem)")
                } else {
                    print("connect ok  \(finding.key)")
                }
            }
            let problems = findings.filter { $0.problem != nil }.count
            if problems > 0 {
                printError(
                    "\(path): configuration is valid, but \(problems) thing\(problems == 1 ? "" : "s") it names cannot be used (--connect)"
                )
                throw ExitCode.failure
            }
        }
        if !quiet {
            print(config.summary)
            print("\(path): configuration is valid")
        }
    }
}
