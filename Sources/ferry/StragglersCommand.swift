import ArgumentParser
import FerryMigration
import Foundation
import PasswordHashes
import Synchronization

struct StragglersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stragglers",
        abstract: "Export the legacy users not migrated yet.",
        discussion: """
            Lists every active legacy user (through `legacy.all_users_query`) whose legacy id \
            Ferry has not migrated, with legacy id, legacy hash and its scheme, and last legacy \
            login when the query returns `last_login_at`. Formats: csv, jsonl, auth0 (bulk \
            import JSON with custom_password_hash), okta (one Create User body per line with \
            credentials.password.hash), kratos (identities with hashed_password). A user whose \
            hash the chosen platform cannot import is exported without a password, so they can be \
            sent a reset; standard error says how many and which schemes. The output holds \
            password hashes: --output writes the file readable by its owner only.
            """)

    @Option(name: .shortAndLong, help: "Path of the proxy.conf naming the state store and legacy source.")
    var config: String

    @Option(help: "csv, jsonl, auth0, okta or kratos.")
    var format: String = "csv"

    @Option(name: .shortAndLong, help: "Write to this file (mode 0600) instead of standard output.")
    var output: String?

    func run() async throws {
        guard let format = StragglerFormat(rawValue: format) else {
            printError(
                "unknown format \"\(format)\"; choose one of "
                    + StragglerFormat.allCases.map(\.rawValue).joined(separator: ", "))
            throw ExitCode.validationFailure
        }
        let context = try OperatorContext.open(config)
        guard let source = try context.legacySource(required: true) else { throw ExitCode.failure }
        let migrated: Set<String>
        do {
            migrated = try await context.store.migratedLegacyIDs()
        } catch {
            printError("state store cannot be read: \(error)")
            throw ExitCode.failure
        }
        let catalog = HashCatalog(legacy: context.config.legacy)
        let configured = context.config.legacy?.hashFormat
        // The source calls back on its own thread; the export's state lives behind a lock.
        let export = Mutex(Export(sink: try Sink(path: output)))
        do {
            export.withLock { $0.sink.write(format.opening) }
            try await source.forEachUser { account in
                guard account.active, !migrated.contains(account.legacyID) else { return }
                let straggler = Straggler(account: account, catalog: catalog, configured: configured)
                export.withLock { export in
                    if export.exported > 0 { export.sink.write(format.separator) }
                    export.sink.write(format.record(straggler))
                    export.exported += 1
                    if !format.accepts(straggler.portable) { export.withoutPassword[straggler.scheme, default: 0] += 1 }
                }
            }
            try export.withLock { export in
                export.sink.write(format.closing)
                try export.sink.close()
            }
        } catch {
            export.withLock { $0.sink.abandon() }
            printError("stragglers not exported: \(error)")
            throw ExitCode.failure
        }
        let (exported, withoutPassword) = export.withLock { ($0.exported, $0.withoutPassword) }
        var summary = "exported \(exported) user\(exported == 1 ? "" : "s") not migrated yet as \(format.rawValue)"
        if !withoutPassword.isEmpty {
            let schemes = withoutPassword.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
            summary +=
                "; \(withoutPassword.values.reduce(0, +)) without a password hash \(format.rawValue) can import (\(schemes.joined(separator: ", "))): they need a password reset there"
        }
        printError(summary)
    }

    struct Export {
        var sink: Sink
        var exported = 0
        /// Users exported without a password, by scheme.
        var withoutPassword: [String: Int] = [:]
    }

    /// Standard output, or a new file only its owner can read, written under a
    /// temporary name and renamed when complete.
    final class Sink {
        let handle: FileHandle
        let path: String?
        let temporary: String?

        init(path: String?) throws {
            self.path = path
            guard let path else {
                handle = .standardOutput
                temporary = nil
                return
            }
            let temporary = path + ".partial"
            guard
                FileManager.default.createFile(
                    atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600]),
                let handle = FileHandle(forWritingAtPath: temporary)
            else {
                printError("cannot create \(temporary)")
                throw ExitCode.failure
            }
            self.handle = handle
            self.temporary = temporary
        }

        func write(_ text: String) { handle.write(Data(text.utf8)) }

        func close() throws {
            guard let path, let temporary else { return }
            try handle.close()
            _ = try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
        }

        func abandon() {
            guard let temporary else { return }
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
        }
    }
}
