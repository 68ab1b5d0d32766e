import ArgumentParser
import FerryMigration
import Foundation

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Report where the migration stands.",
        discussion: """
            Reads Ferry's state store and the legacy source named in the config: legacy users, \
            migrated, remaining, migrations in the last hour and day, ETA at the current rate, \
            failures and fall-backs by reason, MFA and consents carried, outbox backlog, legacy \
            sessions still alive, and the mode, rollout and rate in force. Totals of legacy users \
            need `legacy.all_users_query`. Works with `ferry serve` running or not; the same \
            figures are at /admin/status and /status on the admin listener.
            """)

    @Option(name: .shortAndLong, help: "Path of the proxy.conf to report on.")
    var config: String

    @Flag(help: "Print JSON (sorted keys, snake_case) instead of a table.")
    var json = false

    func run() async throws {
        let context = try OperatorContext.open(config)
        let source = try context.legacySource(required: false)
        let report: StatusReport
        do {
            report = try await StatusReport.build(
                config: context.config, store: context.store, source: source,
                sessions: try await context.store.sessionDrain(at: Date()), at: Date())
        } catch {
            printError("status cannot be computed: \(error)")
            throw ExitCode.failure
        }
        if json {
            FileHandle.standardOutput.write(try report.json() + Data("\n".utf8))
        } else {
            print(report.table, terminator: "")
        }
    }
}
