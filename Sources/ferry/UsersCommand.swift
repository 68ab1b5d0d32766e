import ArgumentParser
import AsyncHTTPClient
import FerryConfig
import FerryMigration
import FerryStore
import Foundation
import Logging

/// One user's migration, for operators: what Ferry holds, what the next login
/// would do and why, and the two ways to move a stuck user on. Each change is
/// an audit event.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Look at one user's migration, retry it, or release it.",
        subcommands: [Show.self, Retry.self, Release.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a user's record and what their next login would do, and why.")

        @Option(name: .shortAndLong, help: "Path of the proxy.conf naming the state store and legacy source.")
        var config: String

        @Argument(help: "The identifier the user logs in with (normalized as Ferry does).")
        var identifier: String

        func run() async throws {
            let context = try OperatorContext.open(config)
            let identifier = context.normalize(self.identifier)
            let record = try await context.reading { try await context.store.record(for: identifier) }
            let job = try await context.reading { try await context.store.pendingJob(for: identifier) }
            print("user        \(identifier)")
            if let record {
                print("state       \(record.state.rawValue)")
                print("legacy id   \(record.legacyID ?? "-")")
                print("new id      \(record.newID ?? "-")")
                print("first seen  \(Self.time(record.firstSeenAt))")
                print("updated     \(Self.time(record.updatedAt))")
                if let migrated = record.migratedAt { print("migrated    \(Self.time(migrated))") }
                print("attempts    \(record.attempts), failed logins \(record.failures)")
                if let failure = record.lastFailure { print("last error  \(failure)") }
                if let mfa = record.mfaSummary { print("mfa         \(mfa)") }
                if let would = record.wouldMigrateAt, record.state != .migrated {
                    print("shadow      would migrate (right password seen \(Self.time(would)))")
                }
            } else {
                print("state       none (Ferry has not seen this identifier log in)")
            }
            if let job {
                print("open job    \(job.id), \(job.attempts) attempts, next \(Self.time(job.nextAttemptAt))")
            }
            let legacy = await context.legacyAnswer(for: identifier)
            let explanation = NextLogin.explain(
                identifier: identifier, record: record, job: job,
                eligibility: context.eligibility.evaluate(identifier), settings: context.config.migration,
                legacy: legacy)
            print("next login  \(explanation)")
        }

        static func time(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retry a user's migration now, or every failed user's.",
            discussion: """
                A user with an open provisioning job has it run now against the target (after you \
                fixed what made it fail). A failed or skipped user goes back to legacy, so their next \
                login migrates them (Ferry needs their password to rehash it). Each retry is an \
                audit event.
                """)

        @Option(name: .shortAndLong, help: "Path of the proxy.conf naming the state store and target.")
        var config: String

        @Flag(help: "Retry every failed user.")
        var allFailed = false

        @Argument(help: "The identifier the user logs in with.")
        var identifier: String?

        func validate() throws {
            guard (identifier == nil) != (allFailed == false) else {
                throw ValidationError("name one identifier, or --all-failed")
            }
        }

        func run() async throws {
            let context = try OperatorContext.open(config)
            let identifiers: [String]
            if allFailed {
                identifiers = try await context.reading {
                    try await context.store.identifiers(in: .failed, limit: 1_000_000)
                }
                if identifiers.isEmpty { print("no failed users") }
            } else {
                identifiers = [context.normalize(identifier ?? "")]
            }
            var problems = 0
            for identifier in identifiers {
                do {
                    print("\(identifier): \(try await retry(identifier, context: context))")
                } catch let error as OperatorFailure {
                    printError("\(identifier): \(error.message)")
                    problems += 1
                }
            }
            if problems > 0 { throw ExitCode.failure }
        }

        private func retry(_ identifier: String, context: OperatorContext) async throws -> String {
            guard let record = try await context.reading({ try await context.store.record(for: identifier) }) else {
                throw OperatorFailure("Ferry has no record of this identifier")
            }
            switch record.state {
            case .migrated: return "already migrated; nothing to retry"
            case .legacy: return "on legacy; the next login migrates the user if eligible"
            case .failed, .skipped:
                try await context.writing {
                    try await context.store.markFailed(
                        identifier, state: .legacy, reason: "retry requested by an operator", closingJob: nil,
                        audit: ["by": "operator", "verb": "users retry", "from": record.state.rawValue],
                        at: Date())
                }
                return "back on legacy (was \(record.state.rawValue)); the next login migrates the user"
            case .provisioning:
                guard let job = try await context.reading({ try await context.store.pendingJob(for: identifier) })
                else {
                    throw OperatorFailure(
                        "provisioning without an open job; `ferry users release` lets the next login start again")
                }
                let outcome = try await context.runNow(job)
                _ = try? await context.store.appendAudit(
                    kind: "operator_retry", identifier: identifier,
                    details: ["by": "operator", "verb": "users retry", "result": outcome], at: Date())
                return "job run now: \(outcome)"
            }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a stuck user back to legacy.",
            discussion: """
                A user who is provisioning (their open job is closed), failed or skipped goes back to \
                the legacy state: their logins go to legacy, and a later login migrates them again if \
                eligible (use migration.deny to keep someone on legacy). A migrated user is not \
                released: their new account may already hold a changed password. An audit event \
                records the release.
                """)

        @Option(name: .shortAndLong, help: "Path of the proxy.conf naming the state store.")
        var config: String

        @Argument(help: "The identifier the user logs in with.")
        var identifier: String

        func run() async throws {
            let context = try OperatorContext.open(config)
            let identifier = context.normalize(self.identifier)
            guard let record = try await context.reading({ try await context.store.record(for: identifier) }) else {
                printError("\(identifier): Ferry has no record of this identifier")
                throw ExitCode.failure
            }
            switch record.state {
            case .legacy:
                print("\(identifier): already on legacy")
            case .migrated:
                printError(
                    "\(identifier): migrated users are not released: the new platform may hold a password changed since, and legacy a stale one"
                )
                throw ExitCode.failure
            case .provisioning, .failed, .skipped:
                let job = try await context.reading { try await context.store.pendingJob(for: identifier) }
                try await context.writing {
                    try await context.store.markFailed(
                        identifier, state: .legacy, reason: "released by an operator", closingJob: job?.id,
                        audit: ["by": "operator", "verb": "users release", "from": record.state.rawValue],
                        at: Date())
                }
                print("\(identifier): released to legacy (was \(record.state.rawValue))")
            }
        }
    }
}

struct OperatorFailure: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

extension OperatorContext {
    var eligibility: EligibilityPolicy {
        EligibilityPolicy(settings: config.migration, normalizer: normalizer)
    }

    var normalizer: IdentifierNormalizer { IdentifierNormalizer(steps: config.migration.normalization) }

    func normalize(_ identifier: String) -> String { normalizer.normalize(identifier) }

    func reading<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            printError("state store cannot be read: \(databaseErrorSummary(error))")
            throw ExitCode.failure
        }
    }

    func writing(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            printError("state store cannot be written: \(databaseErrorSummary(error))")
            throw ExitCode.failure
        }
    }

    /// What the legacy source says about the identifier.
    func legacyAnswer(for identifier: String) async -> NextLogin.LegacyAnswer {
        guard let settings = config.legacy else { return .unavailable("the config has no [legacy] section") }
        do {
            let source = try LegacySources.open(settings)
            guard let account = try await source.account(for: identifier) else { return .notFound }
            let hold = PrivilegeHold.reason(
                roles: account.roles, attributes: account.attributes, rules: config.migration.holdOnLegacy,
                targetCarriesRoles: config.target?.carriesRoles ?? true)
            let missing = account.factorsNotCarried(targetHolds: config.target?.mfaFactors ?? [])
            return .found(active: account.active, hold: hold, factorsNotCarried: missing)
        } catch {
            return .unavailable("\(error)")
        }
    }

    /// The job run against the configured target; its outcome in words.
    func runNow(_ job: OutboxJob) async throws -> String {
        guard let targetSettings = config.target else { throw OperatorFailure("the config has no [target]") }
        guard let key = config.state.encryptionKey.flatMap({ EncryptionKey($0.value) }),
            let sealer = try? JobSealer(key: key.bytes)
        else { throw OperatorFailure("the config has no usable state.encryption_key; the job cannot be opened") }
        let client = HTTPClient(configuration: ProvisioningTargets.clientConfiguration)
        let result: Result<String, OperatorFailure>
        do {
            result = .success(
                try await runNow(job, client: client, sealer: sealer, targetSettings: targetSettings))
        } catch let failure as OperatorFailure {
            result = .failure(failure)
        }
        try? await client.shutdown()
        return try result.get()
    }

    private func runNow(
        _ job: OutboxJob, client: HTTPClient, sealer: JobSealer, targetSettings: TargetSettings
    ) async throws -> String {
        let target: any ProvisioningTarget
        do {
            target = try ProvisioningTargets.make(targetSettings, client: client)
        } catch {
            throw OperatorFailure("the target cannot be set up: \(error)")
        }
        var logger = Logger(label: "ferry-users")
        logger.logLevel = .error
        let outcome: TargetOutcome?
        do {
            outcome = try await OperatorRetry.runNow(
                job, sealer: sealer, target: target, targetSettings: targetSettings, store: store, logger: logger)
        } catch {
            throw OperatorFailure("state store cannot be written: \(databaseErrorSummary(error))")
        }
        guard let outcome else {
            throw OperatorFailure("the job cannot be opened with the current state key; release the user instead")
        }
        switch outcome {
        case .created(let id), .alreadyThere(let id): return "migrated (new id \(id))"
        case .conflict(let reason): return "conflict, the user is failed: \(reason)"
        case .rejected(let reason): return "rejected, the user is failed: \(reason)"
        case .unavailable(let reason): return "still failing, kept for the retrier: \(reason)"
        }
    }
}
