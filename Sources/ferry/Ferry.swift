import ArgumentParser
import FerryMigration
import PasswordHashes

@main
struct Ferry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Ferry: a lazy migrate-on-login authentication proxy.",
        discussion: """
            Ferry sits in front of a legacy identity platform and a new one, and moves each \
            customer across at their first successful login: it verifies the password against \
            the legacy hash, rehashes it, provisions the user with MFA and consent state, and \
            sends them to the new platform from then on.
            """,
        version: FerryVersion.current,
        subcommands: [
            Serve.self, CheckConfig.self, HashCommand.self, AuditCommand.self, StatusCommand.self,
            StragglersCommand.self, UsersCommand.self,
            DemoCommand.self,
            VersionCommand.self,
        ]
    )

    static func main() async {
        // Before any library touches OpenSSL (see OpenSSLLifetime).
        OpenSSLLifetime.keepUntilExit()
        await main(nil)
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print Ferry's version.")

    func run() {
        print("ferry \(FerryVersion.current)")
    }
}
