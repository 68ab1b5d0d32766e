import ArgumentParser
import FerryMigration
import FerryStore
import Foundation

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Inspect the audit log in Ferry's state store.",
        subcommands: [AuditVerify.self, AuditList.self, AuditExport.self])
}

struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that the audit log's hash chain is intact and not cut short.",
        discussion: """
            Every audit event carries the hash of the one before it. This walks the chain from \
            the first event, then compares its head with the latest signed checkpoint (written \
            every state.audit_checkpoint_every events and at shutdown, to \
            state.audit_checkpoint_file). It exits 0 when the chain is intact and holds the \
            checkpointed event, or 1 naming the first event that was changed, removed or \
            inserted, or saying that the newest events were deleted.
            """)

    @Option(name: .shortAndLong, help: "Path of the proxy.conf whose [state] store to check.")
    var config: String

    func run() async throws {
        let context = try OperatorContext.open(config)
        let path = context.storePath
        let events: Int
        switch try await context.store.verifyAuditChain() {
        case .intact(let count):
            events = count
        case .broken(let sequence, let reason):
            printError("audit chain broken at event \(sequence): \(reason) (\(path))")
            throw ExitCode.failure
        }
        let checkpoints: AuditCheckpoints
        do {
            checkpoints = try AuditCheckpoints.open(context.config.state, create: false)
        } catch {
            printError("audit chain intact up to event \(events), but no checkpoint can be checked: \(error)")
            throw ExitCode.failure
        }
        let summary = "\(events) event\(events == 1 ? "" : "s")"
        switch try await checkpoints.verify(context.store) {
        case .matches(let checkpoint):
            print(
                "audit chain intact: \(summary); holds the checkpoint of event \(checkpoint.sequence) signed \(Self.time(checkpoint.at)) (\(path))"
            )
        case .noCheckpoint where events == 0:
            print("audit chain intact: 0 events (\(path))")
        case .noCheckpoint:
            printError(
                "audit chain intact up to event \(events), but there is no checkpoint to show its newest events are all there (\(context.config.state.auditCheckpointFile)); `ferry serve` writes one at shutdown"
            )
            throw ExitCode.failure
        case .badSignature(let checkpoint):
            printError(
                "audit checkpoint of event \(checkpoint.sequence) is not signed by this store's audit key: forged, or the key changed"
            )
            throw ExitCode.failure
        case .truncated(let checkpoint, let end):
            printError(
                "audit chain cut short: the checkpoint signed \(Self.time(checkpoint.at)) holds event \(checkpoint.sequence), but the chain ends at event \(end); newer events were deleted (\(path))"
            )
            throw ExitCode.failure
        case .rewritten(let checkpoint):
            printError(
                "audit chain rewritten: event \(checkpoint.sequence) no longer has the hash its checkpoint signed \(Self.time(checkpoint.at)) (\(path))"
            )
            throw ExitCode.failure
        }
    }

    static func time(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}

/// Audit events as JSON Lines: one object per event with every field, hashes
/// included, so an auditor can recompute the chain with their own tools.
struct AuditExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every audit event as JSON Lines (with hashes, to recompute the chain).")

    @Option(name: .shortAndLong, help: "Path of the proxy.conf whose [state] store to read.")
    var config: String

    @Option(help: "Only events after this sequence number.")
    var after: Int64 = 0

    func run() async throws {
        try await AuditLines.forEach(in: OperatorContext.open(config).store, after: after) {
            print(AuditLines.json($0))
        }
    }
}

/// Recent audit events for a person: time, kind, identifier, details.
struct AuditList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show audit events, newest last (JSON Lines with --json).")

    @Option(name: .shortAndLong, help: "Path of the proxy.conf whose [state] store to read.")
    var config: String

    @Option(help: "Only events of this kind (e.g. migrated, config_changed).")
    var kind: String?

    @Option(help: "How many of the newest matching events to show.")
    var last: Int = 50

    @Flag(help: "One JSON object per line instead of text.")
    var json = false

    func run() async throws {
        var shown: [AuditEvent] = []
        try await AuditLines.forEach(in: OperatorContext.open(config).store) { event in
            guard kind == nil || event.kind == kind else { return }
            shown.append(event)
            if shown.count > last { shown.removeFirst() }
        }
        for event in shown {
            if json {
                print(AuditLines.json(event))
            } else {
                print(
                    "\(event.sequence)  \(AuditVerify.time(event.at))  \(event.kind)  \(event.identifier ?? "-")  \(event.details)"
                )
            }
        }
    }
}

enum AuditLines {
    /// Every event after `sequence`, oldest first, read a page at a time.
    static func forEach(
        in store: any StateStore, after sequence: Int64 = 0, _ body: (AuditEvent) throws -> Void
    ) async throws {
        var after = sequence
        while true {
            let page = try await store.auditEvents(after: after, limit: 1000)
            for event in page { try body(event) }
            guard let end = page.last?.sequence else { return }
            after = end
        }
    }

    static func json(_ event: AuditEvent) -> String {
        var object: [String: Any] = [
            "sequence": event.sequence, "at": AuditVerify.time(event.at),
            "at_unix": event.at.timeIntervalSince1970, "kind": event.kind, "previous_hash": event.previousHash,
            "hash": event.hash,
        ]
        object["identifier"] = event.identifier
        object["details"] =
            (try? JSONSerialization.jsonObject(with: Data(event.details.utf8))) ?? event.details
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
