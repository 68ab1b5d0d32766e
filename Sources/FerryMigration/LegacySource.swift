import FerryConfig
import FerryStore
import Foundation
import GRDB
import GRDBSQLite
import PasswordHashes

/// A user as the legacy platform holds them, read through the configured
/// queries. Holds the legacy hash and MFA secrets: never logged.
public struct LegacyAccount: Sendable {
    public var legacyID: String
    public var username: String?
    public var email: String?
    public var emailVerified: Bool
    public var phone: String?
    public var passwordHash: String
    public var salt: String?
    /// Whether `user_query` returns a `salt` column at all. Without one, a
    /// `[legacy.hash]` description applies to every row (a peppered or
    /// iterated digest needs no salt); with one, a NULL salt marks a row in
    /// another format (a bare digest recognised by its length).
    public var hasSaltColumn: Bool = true
    public var status: String?
    public var active: Bool
    public var profile: CanonicalIdentity.Profile
    public var createdAt: Date?
    public var lastLoginAt: Date?
    public var mfa: CanonicalIdentity.MFA
    public var consents: [CanonicalIdentity.ConsentGrant]
    /// Every `user_query` column that is not a canonical alias, typed.
    public var attributes: [String: AttributeValue]
    /// From `roles_query`, in its order.
    public var roles: [String]
    /// The legacy platform judges this account's password itself (an LDAP
    /// bind): its hash is unreadable, or the source is set to ask.
    public var judgedByLegacy = false
    /// The directory entry's DN, for the bind that judges the password.
    public var directoryDN: String?
    /// Second factors the user has on legacy that the source cannot hand
    /// over — a SaaS platform never gives out an authenticator's secret —
    /// by legacy's own names (`totp`, `SOFTWARE_TOKEN_MFA` …). They never
    /// reach the target, so `unsupported_mfa` decides what happens.
    public var unexportedFactors: [String] = []

    public init(
        legacyID: String, username: String?, email: String?, emailVerified: Bool, phone: String?,
        passwordHash: String, salt: String?, status: String?, active: Bool, profile: CanonicalIdentity.Profile,
        createdAt: Date?, lastLoginAt: Date?, mfa: CanonicalIdentity.MFA, consents: [CanonicalIdentity.ConsentGrant],
        attributes: [String: AttributeValue] = [:], roles: [String] = []
    ) {
        self.legacyID = legacyID
        self.username = username
        self.email = email
        self.emailVerified = emailVerified
        self.phone = phone
        self.passwordHash = passwordHash
        self.salt = salt
        self.status = status
        self.active = active
        self.profile = profile
        self.createdAt = createdAt
        self.lastLoginAt = lastLoginAt
        self.mfa = mfa
        self.consents = consents
        self.attributes = attributes
        self.roles = roles
    }

    /// The salt to verify with: the row's, or "" when the query has no salt
    /// column, so a described format is never mistaken for a bare digest.
    public var verificationSalt: String? { salt ?? (hasSaltColumn ? nil : "") }

    /// The kinds of factor the user has enrolled.
    public var factorKinds: Set<MFAFactorKind> {
        var kinds = Set<MFAFactorKind>()
        if !mfa.totp.isEmpty { kinds.insert(.totp) }
        if !mfa.hotp.isEmpty { kinds.insert(.hotp) }
        if !mfa.recoveryCodes.isEmpty { kinds.insert(.recoveryCodes) }
        if !mfa.webauthn.isEmpty { kinds.insert(.webauthn) }
        if !mfa.phones.isEmpty { kinds.insert(.phone) }
        return kinds
    }

    /// The user's factors that will not reach the target: kinds it cannot
    /// hold, then those legacy does not hand over. Empty: every factor is carried.
    public func factorsNotCarried(targetHolds: some Sequence<MFAFactorKind>) -> [String] {
        MFAPolicy.notCarried(has: factorKinds, unexported: unexportedFactors, targetHolds: Set(targetHolds))
    }
}

/// Where legacy records come from: a SQLite file or a PostgreSQL database.
public protocol LegacySource: Sendable {
    /// nil when no user has this (normalized) identifier.
    func account(for identifier: String) async throws(LegacySourceError) -> LegacyAccount?
    /// Every legacy user through `all_users_query` (user rows only, no MFA or
    /// consents), or `.notConfigured`. `body` runs on the source's own thread,
    /// one user after another, while the rows stream: millions of users are
    /// never held at once.
    /// Errors of the source are `LegacySourceError`s; `body`'s own pass through.
    func forEachUser(_ body: @Sendable (LegacyAccount) throws -> Void) async throws
}

/// A SQL database read only for a user's factors, consents and roles, beside
/// a source that has none (a directory, a SaaS pool): the legacy MFA store.
public protocol LegacyRelatedRows: Sendable {
    /// Adds what `mfa_query`, `consents_query` and `roles_query` return for
    /// `account.legacyID`.
    func complete(_ account: inout LegacyAccount) async throws(LegacySourceError)
}

/// A legacy platform that can judge a password itself: an LDAP bind as the
/// customer (later an OAuth password grant or Cognito's AdminInitiateAuth).
public protocol LegacyPasswordJudge: Sendable {
    /// The scheme name recorded for passwords judged this way (`ldap-bind`).
    var judgementScheme: String { get }
    func judge(_ account: LegacyAccount, password: String) async -> LegacyJudgement
}

/// The legacy platform's own answer to a password. A timeout or an outage is
/// `unavailable`, never `rejected`.
public enum LegacyJudgement: Equatable, Sendable {
    case accepted
    case rejected
    case unavailable(String)
    /// Legacy's answer to the customer's own login, forwarded to it, will tell.
    case deferred
}

public enum LegacySourceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The database cannot be opened or queried; the login goes to legacy.
    case unavailable(String)
    /// A row does not fit the canonical record (say, no password_hash column).
    case badRow(String)
    /// `legacy.all_users_query` is not set.
    case notConfigured
    /// `user_query` found more than one user for the identifier (say "Ada"
    /// and "ada" in a case-sensitive store): Ferry never picks one, so no
    /// password is judged against another account's hash.
    case ambiguous

    public var description: String {
        switch self {
        case .unavailable(let reason): return "legacy source unavailable: \(reason)"
        case .badRow(let reason): return "legacy source row unusable: \(reason)"
        case .notConfigured:
            return "legacy.all_users_query (or [legacy.ldap] all_users_filter) is not set; it lists every legacy user"
        case .ambiguous: return "user_query found more than one legacy user for this identifier"
        }
    }
}

/// The legacy SQLite database, opened read-only, queried with the configured
/// statements; column aliases map onto the canonical record.
public final class SQLiteLegacySource: LegacySource, LegacyRelatedRows {
    let database: DatabaseQueue
    let settings: LegacySourceSettings

    public init(settings: LegacySourceSettings) throws(LegacySourceError) {
        guard case .sqlite(let path) = settings.database else { throw .unavailable("unsupported database URL") }
        guard FileManager.default.fileExists(atPath: path) else {
            throw .unavailable("database file \(path) does not exist")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(2)
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw .unavailable(databaseErrorSummary(error))
        }
        self.settings = settings
        // Rails' key derivation is 2^16 PBKDF2 rounds per key: done here, once,
        // not inside the first login's read and its deadline.
        _ = settings.encryption.flatMap(LegacySecretDecryption.init)
    }

    public func account(for identifier: String) async throws(LegacySourceError) -> LegacyAccount? {
        let settings = settings
        do {
            return try await database.read { db -> LegacyAccount? in
                let statement = try db.makeStatement(sql: settings.userQuery)
                let rows = try Row.fetchCursor(statement, arguments: ["identifier": identifier])
                guard let first = try rows.next() else { return nil }
                let row = QueryRow(first, declaredTypes: Self.declaredTypes(statement))
                if try rows.next() != nil { throw LegacySourceError.ambiguous }
                var account = try LegacyRows.account(row, settings: settings)
                let related = try Self.relatedRows(db, settings: settings, legacyID: account.legacyID)
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
            let related = try await database.read { db in
                try Self.relatedRows(db, settings: settings, legacyID: legacyID)
            }
            try LegacyRows.complete(&account, settings: settings, rows: related)
        } catch let error as LegacySourceError {
            throw error
        } catch {
            throw .unavailable(databaseErrorSummary(error))
        }
    }

    /// The roles, factors and consents rows of one user, by statement.
    static func relatedRows(_ db: Database, settings: LegacySourceSettings, legacyID: String) throws -> [String:
        [QueryRow]]
    {
        var related: [String: [QueryRow]] = [:]
        for query in LegacyRows.relatedQueries(settings) where related[query] == nil {
            related[query] = try Row.fetchAll(db, sql: query, arguments: ["legacy_id": legacyID]).map { QueryRow($0) }
        }
        return related
    }

    public func forEachUser(_ body: @Sendable (LegacyAccount) throws -> Void) async throws {
        guard let query = settings.allUsersQuery else { throw LegacySourceError.notConfigured }
        let activeStatuses = settings.activeStatuses
        do {
            try await database.read { db in
                let rows = try Row.fetchCursor(db, sql: query)
                while let row = try rows.next() {
                    try body(LegacyRows.account(QueryRow(row), activeStatuses: activeStatuses))
                }
            }
        } catch let error as DatabaseError {
            throw LegacySourceError.unavailable(databaseErrorSummary(error))
        }
    }

    /// Each result column's declared type (`BOOL`, `DATETIME`, …) where it
    /// comes straight from a table column; SQLite stores booleans and dates
    /// as numbers or text, and only the declaration says which they are.
    static func declaredTypes(_ statement: Statement) -> [String: String] {
        var types: [String: String] = [:]
        for (index, name) in statement.columnNames.enumerated() {
            if let type = sqlite3_column_decltype(statement.sqliteStatement, Int32(index)) {
                types[name] = String(cString: type)
            }
        }
        return types
    }
}

/// Reading the configured statements' rows onto the canonical record, by
/// column alias, whichever engine answered.
public enum LegacyRows {
    /// The user of `row`, with its carried attributes; `complete` adds what
    /// the other statements say.
    static func account(_ row: QueryRow, settings: LegacySourceSettings) throws -> LegacyAccount {
        var account = try account(row, activeStatuses: settings.activeStatuses)
        account.attributes = try attributes(row, of: account.legacyID)
        return account
    }

    /// The statements run with a found user's `:legacy_id`: roles, factors, consents.
    static func relatedQueries(_ settings: LegacySourceSettings) -> [String] {
        [settings.rolesQuery, settings.mfaQuery, settings.consentsQuery].compactMap { $0 }
    }

    /// Adds the roles, factors and consents read by `relatedQueries` (their
    /// rows keyed by statement).
    static func complete(
        _ account: inout LegacyAccount, settings: LegacySourceSettings, rows: [String: [QueryRow]]
    ) throws {
        if let query = settings.rolesQuery { account.roles = try roles(rows[query] ?? [], of: account.legacyID) }
        if let query = settings.mfaQuery {
            let decryption = settings.encryption.flatMap(LegacySecretDecryption.init)
            for factor in rows[query] ?? [] {
                try addFactor(
                    factor, to: &account.mfa, encoding: settings.totpSecretEncoding, decryption: decryption,
                    of: account.legacyID)
            }
        }
        if let query = settings.consentsQuery {
            account.consents = try (rows[query] ?? []).map { try consent($0, of: account.legacyID) }
        }
    }

    static func text(_ row: QueryRow, _ column: String) -> String? {
        row[column].textValue
    }

    static func flag(_ row: QueryRow, _ column: String) -> Bool {
        guard let text = text(row, column)?.lowercased() else { return false }
        return ["1", "true", "yes", "t", "y"].contains(text)
    }

    /// A date in any form `LegacyDate` reads; nil when the column is absent
    /// or NULL. A value that is not a date is an error naming the column and
    /// the row (`owner`), never a silent NULL. The value itself is not shown: a
    /// misaliased column could hold a secret.
    static func date(_ row: QueryRow, _ column: String, of owner: String) throws -> Date? {
        let date: Date?
        switch row[column] {
        case .null: return nil
        case .date(let value): date = value
        case .integer(let number): date = LegacyDate.fromUnix(Double(number))
        case .real(let number): date = LegacyDate.fromUnix(number)
        case .text(let text): date = LegacyDate.parse(text)
        case .blob, .boolean: date = nil
        }
        guard let date else {
            throw LegacySourceError.badRow(
                "column `\(column)` of \(owner) is not a date Ferry can read (Unix seconds or milliseconds, or ISO 8601 such as 2024-05-01 10:20:30.123456+02:00)"
            )
        }
        return date
    }

    static func account(_ row: QueryRow, activeStatuses: [String]) throws -> LegacyAccount {
        guard let legacyID = text(row, "legacy_id") else {
            throw LegacySourceError.badRow("user_query must return a non-null `legacy_id` column")
        }
        guard let hash = text(row, "password_hash") else {
            throw LegacySourceError.badRow("user_query must return a non-null `password_hash` column")
        }
        let status = text(row, "status")
        let active =
            status.map { status in activeStatuses.contains { $0.caseInsensitiveCompare(status) == .orderedSame } }
            ?? true
        var account = LegacyAccount(
            legacyID: legacyID, username: text(row, "username"), email: text(row, "email"),
            emailVerified: flag(row, "email_verified"), phone: text(row, "phone"), passwordHash: hash,
            salt: text(row, "salt"), status: status, active: active,
            profile: .init(
                givenName: text(row, "given_name"), familyName: text(row, "family_name"), locale: text(row, "locale")),
            createdAt: try date(row, "created_at", of: "legacy user \(legacyID)"),
            lastLoginAt: try date(row, "last_login_at", of: "legacy user \(legacyID)"), mfa: .init(), consents: [])
        account.hasSaltColumn = row.hasColumn("salt")
        return account
    }

    static func consent(_ row: QueryRow, of legacyID: String) throws -> CanonicalIdentity.ConsentGrant {
        guard let purpose = text(row, "purpose") else {
            throw LegacySourceError.badRow("consents_query must return a `purpose` column")
        }
        return .init(
            purpose: purpose, client: text(row, "client"), version: text(row, "version"),
            granted: row.hasColumn("granted") ? flag(row, "granted") : true,
            at: try date(row, "granted_at", of: "a consent of legacy user \(legacyID)"))
    }
}
