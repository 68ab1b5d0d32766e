import ArgumentParser
import FerryConfig

// Verbs whose capability is owned by a later issue. They say so plainly and fail,
// rather than pretending to work.

struct NotBuiltYet: Error, CustomStringConvertible {
    var verb: String
    var capability: String
    var description: String { "ferry \(verb): not built yet — it arrives with \(capability)." }
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
