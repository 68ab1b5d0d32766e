import ArgumentParser
import FerryConfig
import FerryMigration
import FerryStore
import Foundation

/// What the operator verbs (`status`, `stragglers`, `audit`) read: the config,
/// Ferry's state store and the legacy source it names. They work whether or
/// not `ferry serve` is running.
struct OperatorContext {
    let config: ProxyConfig
    let store: any StateStore
    let storePath: String

    /// Loads `path`; a config or store that cannot be read is reported on
    /// standard error and ends the command with exit code 1. A state store
    /// file that is not there is an error, never a new empty database: a
    /// mistyped path would report zeros, or an "intact" empty audit chain.
    static func open(_ path: String) throws -> OperatorContext {
        let config: ProxyConfig
        do {
            config = try ProxyConfig.load(path: path)
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
        let storePath: String
        switch config.state.store {
        case .postgres(let location):
            do {
                // Operator verbs read whole tables: more time than a login gets.
                let store = try PostgresStateStore(
                    location: location, timeout: max(config.state.busyTimeout, .seconds(60)), create: false)
                return OperatorContext(config: config, store: store, storePath: "\(location)")
            } catch {
                printError("state store \(location) cannot be opened: \(databaseErrorSummary(error))")
                throw ExitCode.failure
            }
        case .sqlite(let path): storePath = path
        case .mysql:
            // check-config refuses it; the load above already did.
            printError("state.url: Ferry's own state lives in SQLite or PostgreSQL")
            throw ExitCode.failure
        }
        if !FileManager.default.fileExists(atPath: storePath) {
            printError("state store \(storePath) does not exist; has `ferry serve` run with this config?")
            throw ExitCode.failure
        }
        do {
            let store = try SQLiteStateStore(path: storePath, busyTimeout: config.state.busyTimeout, create: false)
            return OperatorContext(config: config, store: store, storePath: storePath)
        } catch {
            printError("state store \(storePath) cannot be opened: \(databaseErrorSummary(error))")
            throw ExitCode.failure
        }
    }

    /// The legacy source, or nil (with a reason on standard error) when the
    /// config names none or it cannot be opened.
    func legacySource(required: Bool) throws -> (any LegacySource)? {
        guard let settings = config.legacy else {
            if required {
                printError("the config has no [legacy] section; there is no legacy source to read")
                throw ExitCode.failure
            }
            return nil
        }
        do {
            return try LegacySources.open(settings)
        } catch {
            printError(error.description)
            if required { throw ExitCode.failure }
            return nil
        }
    }
}
