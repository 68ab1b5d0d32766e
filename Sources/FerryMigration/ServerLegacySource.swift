import FerryConfig
import FerryStore
import Foundation
import Logging
import PasswordHashes

/// The legacy user store in PostgreSQL.
public typealias PostgresLegacySource = ServerLegacySource<ExternalPostgres>
/// The legacy user store in MySQL or MariaDB.
public typealias MySQLLegacySource = ServerLegacySource<ExternalMySQL>

/// The legacy user store on a database server, read with the configured
/// statements and the same aliases and `:identifier` / `:legacy_id`
/// parameters as on SQLite. Each user is read in one read-only snapshot; a
/// database that does not answer within the deadline is `unavailable`, and
/// the login goes to legacy, which judges it itself.
public final class ServerLegacySource<Database: ServerDatabase>: LegacySource, LegacyRelatedRows {
    let database: Database
    let settings: LegacySourceSettings

    public init(
        settings: LegacySourceSettings, timeout: Duration = .seconds(2), logger: Logger = Logger(label: "ferry")
    )
        throws(LegacySourceError)
    {
        do {
            guard let database = try Database.open(settings.database, timeout: timeout, logger: logger) else {
                throw LegacySourceError.unavailable("\(settings.database) is not a \(Database.self) database")
            }
            self.database = database
        } catch let error as LegacySourceError {
            throw error
        } catch {
            throw .unavailable("\(settings.database): \(databaseErrorSummary(error))")
        }
        self.settings = settings
        // Rails' key derivation is 2^16 PBKDF2 rounds per key: done here, once,
        // not inside the first login's read and its deadline.
        _ = settings.encryption.flatMap(LegacySecretDecryption.init)
    }

    public func account(for identifier: String) async throws(LegacySourceError) -> LegacyAccount? {
        let settings = settings
        do {
            return try await database.read { session -> LegacyAccount? in
                let rows = try await session.rows(settings.userQuery, ["identifier": identifier])
                guard let row = rows.first else { return nil }
                guard rows.count == 1 else { throw LegacySourceError.ambiguous }
                var account = try LegacyRows.account(row, settings: settings)
                let related = try await Self.relatedRows(session, settings: settings, legacyID: account.legacyID)
                try LegacyRows.complete(&account, settings: settings, rows: related)
                return account
            }
        } catch let error as LegacySourceError {
            throw error
        } catch {
            throw .unavailable(databaseErrorSummary(error))
        }
    }

    public func complete(_ account: inout LegacyAccount) async throws(LegacySourceError) {
        let settings = settings
        let legacyID = account.legacyID
        do {
            let related = try await database.read { session in
                try await Self.relatedRows(session, settings: settings, legacyID: legacyID)
            }
            try LegacyRows.complete(&account, settings: settings, rows: related)
        } catch let error as LegacySourceError {
            throw error
        } catch {
            throw .unavailable(databaseErrorSummary(error))
        }
    }

    /// The roles, factors and consents rows of one user, by statement.
    static func relatedRows(_ session: Database.Session, settings: LegacySourceSettings, legacyID: String) async throws
        -> [String: [QueryRow]]
    {
        var related: [String: [QueryRow]] = [:]
        for query in LegacyRows.relatedQueries(settings) where related[query] == nil {
            related[query] = try await session.rows(query, ["legacy_id": legacyID])
        }
        return related
    }

    public func forEachUser(_ body: @Sendable (LegacyAccount) throws -> Void) async throws {
        guard let query = settings.allUsersQuery else { throw LegacySourceError.notConfigured }
        let activeStatuses = settings.activeStatuses
        do {
            try await database.forEachRow(query) { row in
                try body(LegacyRows.account(row, activeStatuses: activeStatuses))
            }
        } catch let error as LegacySourceError {
            throw error
        } catch {
            // The database's errors become `unavailable`; `body`'s own pass through.
            if let summary = Database.errorSummary(error) { throw LegacySourceError.unavailable(summary) }
            throw error
        }
    }
}
