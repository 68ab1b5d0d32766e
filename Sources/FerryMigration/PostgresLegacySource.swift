import FerryConfig
import FerryStore
import Foundation
import Logging
import PasswordHashes

/// The legacy user store in PostgreSQL, read with the configured statements
/// and the same aliases and `:identifier` / `:legacy_id` parameters as on
/// SQLite. Each user is read in one read-only snapshot; a database that does
/// not answer within the deadline is `unavailable`, and the login goes to
/// legacy, which judges it itself.
public final class PostgresLegacySource: LegacySource, LegacyRelatedRows {
    let database: ExternalPostgres
    let settings: LegacySourceSettings

    public init(
        settings: LegacySourceSettings, timeout: Duration = .seconds(2), logger: Logger = Logger(label: "ferry")
    )
        throws(LegacySourceError)
    {
        guard case .postgres(let location) = settings.database else { throw .unavailable("not a postgres:// URL") }
        do {
            database = try ExternalPostgres(location: location, timeout: timeout, logger: logger)
        } catch {
            throw .unavailable("\(location): \(databaseErrorSummary(error))")
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
    static func relatedRows(_ session: PostgresSession, settings: LegacySourceSettings, legacyID: String) async throws
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
            if let summary = postgresErrorSummary(error) { throw LegacySourceError.unavailable(summary) }
            throw error
        }
    }
}

/// The legacy source the config names.
public enum LegacySources {
    public static func open(_ settings: LegacySourceSettings, logger: Logger = Logger(label: "ferry"))
        throws(LegacySourceError) -> any LegacySource
    {
        var primary: (any LegacySource & LegacyPasswordJudge)?
        if settings.kind == .cognito, let cognito = settings.cognito {
            primary = try CognitoLegacySource(settings: cognito, logger: logger)
        }
        if settings.kind == .ldap, let ldap = settings.ldap {
            primary = try LDAPLegacySource(settings: ldap, activeStatuses: settings.activeStatuses, logger: logger)
        }
        if let primary {
            guard settings.hasSideStore else { return primary }
            let side: any LegacyRelatedRows
            switch settings.database {
            case .sqlite: side = try SQLiteLegacySource(settings: settings)
            case .postgres: side = try PostgresLegacySource(settings: settings, logger: logger)
            }
            return SupplementedLegacySource(primary: primary, side: side)
        }
        let sql: any LegacySource
        switch settings.database {
        case .sqlite: sql = try SQLiteLegacySource(settings: settings)
        case .postgres: sql = try PostgresLegacySource(settings: settings, logger: logger)
        }
        guard settings.verify != .hash, let answer = settings.answer else { return sql }
        let judge: OAuthPasswordJudge? =
            switch answer.mode {
            case .called: OAuthPasswordJudge(settings: answer, client: LegacyHTTPClient.shared, logger: logger)
            case .forwarded: nil
            }
        return AnsweredLegacySource(
            primary: sql, judge: judge, mode: settings.verify, catalog: HashCatalog(legacy: settings))
    }
}
