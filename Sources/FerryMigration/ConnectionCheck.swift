import AsyncHTTPClient
import FerryConfig
import FerryStore
import Foundation
import GRDB
import Logging

/// `ferry check-config --connect`: what a config names must exist and answer.
/// Opens every SQL database read-only (the state store is only checked, never
/// created) and prepares every configured query and statement, so that a
/// missing column or table is found before the first login, not during it.
/// SQLite reports an unknown column when a statement is prepared; nothing is
/// executed and nothing is written.
public enum ConnectionCheck {
    public struct Finding: Equatable, Sendable {
        /// The config key the finding is about, e.g. `legacy.user_query`.
        public var key: String
        /// nil when the check passed.
        public var problem: String?
    }

    /// Column aliases the code reads from each user row.
    static let requiredUserColumns = ["legacy_id", "password_hash"]

    public static func run(_ config: ProxyConfig) async -> [Finding] {
        var findings: [Finding] = []
        func check(_ key: String, _ body: () async throws -> String?) async {
            do {
                findings.append(Finding(key: key, problem: try await body()))
            } catch {
                findings.append(Finding(key: key, problem: describe(error)))
            }
        }
        if case .sqlite(let path) = config.state.store {
            await check("state.url") {
                let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
                if FileManager.default.fileExists(atPath: path) {
                    _ = try open(path)
                    return nil
                }
                return FileManager.default.isWritableFile(atPath: folder)
                    ? nil : "folder \(folder) cannot be written, so the state store cannot be created"
            }
        }
        if let cognito = config.legacy?.cognito, config.legacy?.kind == .cognito {
            await check("legacy.cognito.user_pool_id") {
                try await CognitoLegacySource(settings: cognito).checkConnection()
            }
        }
        if let ldap = config.legacy?.ldap, config.legacy?.kind == .ldap {
            await check("legacy.ldap.bind_dn") {
                let source = try LDAPLegacySource(settings: ldap, activeStatuses: ["active"])
                return try await source.checkConnection()
            }
        }
        if let legacy = config.legacy, case .sqlite(let path)? = legacy.sqlDatabase {
            var database: DatabaseQueue?
            await check("legacy.database") {
                database = try open(path)
                return nil
            }
            if let database {
                await check("legacy.user_query") {
                    try await prepare(legacy.userQuery, in: database, needs: requiredUserColumns)
                }
                if let query = legacy.mfaQuery {
                    await check("legacy.mfa_query") { try await prepare(query, in: database) }
                }
                if let query = legacy.consentsQuery {
                    await check("legacy.consents_query") { try await prepare(query, in: database) }
                }
                if let query = legacy.allUsersQuery {
                    await check("legacy.all_users_query") {
                        try await prepare(query, in: database, needs: requiredUserColumns)
                    }
                }
            }
        }
        if let legacy = config.legacy, let location = legacy.sqlDatabase, location.isServer {
            let queries =
                [("legacy.user_query", legacy.userQuery)]
                + [("legacy.mfa_query", legacy.mfaQuery), ("legacy.consents_query", legacy.consentsQuery)]
                .compactMap { key, sql in sql.map { (key, $0) } }
                + [("legacy.roles_query", legacy.rolesQuery), ("legacy.all_users_query", legacy.allUsersQuery)]
                .compactMap { key, sql in sql.map { (key, $0) } }
            findings += await checkServer(location, key: "legacy.database", queries: queries)
        }
        if let target = config.target, target.kind == .sql, let location = target.database, location.isServer {
            findings += await checkServer(location, key: "target.database", queries: targetStatements(target))
        }
        if let query = config.sessions.storeQuery,
            let location = config.sessions.storeDatabase ?? config.legacy?.sqlDatabase, location.isServer
        {
            findings += await checkServer(
                location, key: "sessions.store_database", queries: [("sessions.store_query", query)])
        }
        if let query = config.sessions.storeQuery,
            case .sqlite(let path)? = config.sessions.storeDatabase ?? config.legacy?.sqlDatabase
        {
            await check("sessions.store_query") { try await prepare(query, in: try open(path), needs: ["expires_at"]) }
        }
        if let target = config.target, target.kind == .sql, case .sqlite(let path)? = target.database {
            var database: DatabaseQueue?
            await check("target.database") {
                database = try open(path)
                return nil
            }
            if let database {
                for (key, sql) in targetStatements(target) {
                    await check(key) { try await prepare(sql, in: database) }
                }
            }
        }
        return findings
    }

    static func targetStatements(_ target: TargetSettings) -> [(String, String)] {
        target.statements.map { ("target.statements", $0) }
            + target.totpStatements.map { ("target.totp_statements", $0) }
            + target.recoveryCodeStatements.map { ("target.recovery_code_statements", $0) }
            + target.consentStatements.map { ("target.consent_statements", $0) }
            + (target.existingQuery.map { [("target.existing_query", $0)] } ?? [])
    }

    /// Connects to a database server, then has it check each statement
    /// without running it (PostgreSQL parses and plans it: tables, columns,
    /// functions and parameter types; MySQL explains it: tables and columns).
    /// Result columns are not checked.
    static func checkServer(_ location: StoreLocation, key: String, queries: [(String, String)]) async -> [Finding] {
        switch location {
        case .postgres: return await checkServer(ExternalPostgres.self, location, key: key, queries: queries)
        case .mysql: return await checkServer(ExternalMySQL.self, location, key: key, queries: queries)
        case .sqlite: return []
        }
    }

    static func checkServer<Database: ServerDatabase>(
        _ engine: Database.Type, _ location: StoreLocation, key: String, queries: [(String, String)]
    ) async -> [Finding] {
        let database: Database
        do {
            guard let opened = try Database.open(location, timeout: .seconds(5), logger: Logger(label: "ferry")) else {
                return []
            }
            database = opened
            try await database.read { _ in }
        } catch {
            return [Finding(key: key, problem: "\(location): \(databaseErrorSummary(error))")]
        }
        var findings = [Finding(key: key, problem: nil)]
        for (queryKey, sql) in queries {
            do {
                try await database.check(sql)
                findings.append(Finding(key: queryKey, problem: nil))
            } catch {
                findings.append(Finding(key: queryKey, problem: databaseErrorSummary(error)))
            }
        }
        return findings
    }

    /// What `--connect` reaches over HTTP: a SCIM or webhook target gets one
    /// harmless call with Ferry's credentials (see `ProvisioningTarget.probe`),
    /// and `sessions.jwks_url` is fetched and read as a key set.
    public static func probeHTTP(_ config: ProxyConfig) async -> [Finding] {
        var findings: [Finding] = []
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: ProvisioningTargets.clientConfiguration)
        if let settings = config.target, settings.kind != .sql {
            let problem: String?
            do {
                problem = try await ProvisioningTargets.make(settings, client: client).probe()
            } catch {
                problem = "\(error)"
            }
            findings.append(Finding(key: "target.url", problem: problem))
        }
        if let url = config.sessions.jwksURL {
            let feed = LegacyTokenKeyFeed(
                url: url, refresh: config.sessions.jwksRefresh, client: client,
                logger: Logger(label: "ferry.check-config") { _ in SwiftLogNoOpLogHandler() })
            findings.append(Finding(key: "sessions.jwks_url", problem: await feed.fetch()))
        }
        try? await client.shutdown()
        return findings
    }

    private static func open(_ path: String) throws -> DatabaseQueue {
        guard FileManager.default.fileExists(atPath: path) else { throw Missing(path: path) }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(2)
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Prepares `sql` (never runs it) and checks its result columns.
    private static func prepare(_ sql: String, in database: DatabaseQueue, needs columns: [String] = [])
        async throws -> String?
    {
        try await database.read { db in
            let statement = try db.makeStatement(sql: sql)
            let present = Set(statement.columnNames.map { $0.lowercased() })
            let missing = columns.filter { !present.contains($0) }
            return missing.isEmpty
                ? nil : "returns no column \(missing.map { "`\($0)`" }.joined(separator: ", ")) (alias one with AS)"
        }
    }

    struct Missing: Error {
        var path: String
    }

    private static func describe(_ error: any Error) -> String {
        if let missing = error as? Missing { return "database file \(missing.path) does not exist" }
        if let error = error as? DatabaseError { return error.message ?? "SQLite error \(error.resultCode)" }
        return databaseErrorSummary(error)
    }
}
