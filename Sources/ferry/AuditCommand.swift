import ArgumentParser

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Inspect the audit log in Ferry's state store.",
        subcommands: [AuditVerify.self])
}

struct AuditVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that the audit log's hash chain is intact.",
        discussion: """
            Every audit event carries the hash of the one before it. This walks the chain from \
            the first event and exits 0 when it is intact, or 1 naming the first event that was \
            changed, removed or inserted.
            """)

    @Option(name: .shortAndLong, help: "Path of the proxy.conf whose [state] store to check.")
    var config: String

    func run() throws {
        let context = try OperatorContext.open(config)
        let path = context.storePath
        switch try context.store.verifyAuditChain() {
        case .intact(let events):
            print("audit chain intact: \(events) event\(events == 1 ? "" : "s") (\(path))")
        case .broken(let sequence, let reason):
            printError("audit chain broken at event \(sequence): \(reason) (\(path))")
            throw ExitCode.failure
        }
    }
}
