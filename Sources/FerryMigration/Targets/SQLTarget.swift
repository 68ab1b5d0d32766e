import FerryConfig
import FerryStore
import Foundation
import GRDB

/// Runs the configured statements in one transaction against the new
/// platform's SQLite database. `existing_query` first looks for the user, so a
/// retried job recognises its own row and a stranger's row is a conflict.
public final class SQLTarget: ProvisioningTarget {
    public var kind: TargetSettings.TargetKind { .sql }
    let database: DatabaseQueue
    let settings: TargetSettings
    /// The `:attr_NAME` parameters the statements name, found once.
    let attributeParameters: Set<String>

    public init(settings: TargetSettings) throws {
        guard case .sqlite(let path) = settings.database else {
            throw TargetSetupError("target.database must be a sqlite:// URL")
        }
        // Opening a missing path would create an empty database, and every
        // statement would then fail; name the problem instead.
        guard FileManager.default.fileExists(atPath: path) else {
            throw TargetSetupError("target.database \(path) does not exist")
        }
        var configuration = Configuration()
        let (seconds, attoseconds) = settings.timeout.components
        configuration.busyMode = .timeout(Double(seconds) + Double(attoseconds) / 1e18)
        database = try DatabaseQueue(path: path, configuration: configuration)
        self.settings = settings
        attributeParameters = Self.attributeParameters(in: settings.allStatements + [settings.idQuery ?? ""])
    }

    public func provision(_ job: ProvisioningJob) async -> TargetOutcome {
        let settings = settings
        let attributeParameters = attributeParameters
        do {
            return try await database.write { db -> TargetOutcome in
                var base = Self.parameters(job, dateFormat: settings.dateFormat)
                for name in attributeParameters where base.index(forKey: name) == nil {
                    base.updateValue(nil, forKey: name)
                }
                if let query = settings.existingQuery,
                    let row = try Row.fetchOne(db, sql: query, arguments: StatementArguments(base))
                {
                    return Self.ownership(of: QueryRow(row), job: job)
                }
                // The id the platform gave the user: a `new_id` column returned by a
                // statement (`INSERT … RETURNING id AS new_id`) or by `id_query`.
                var platformID: String?
                for sql in settings.statements {
                    if let row = try Row.fetchOne(db, sql: sql, arguments: StatementArguments(base)),
                        let id = Self.text(row, "new_id")
                    {
                        platformID = id
                    }
                }
                if let query = settings.idQuery {
                    guard let row = try Row.fetchOne(db, sql: query, arguments: StatementArguments(base)),
                        let id = Self.text(row, "new_id")
                    else { throw MissingPlatformID() }
                    platformID = id
                }
                let newID = platformID ?? job.newID
                // Per-item statements attach factors, roles and consents to that id.
                base.updateValue(newID, forKey: "new_id")
                for run in try Self.itemRuns(job, settings: settings, base: base) {
                    for sql in run.statements {
                        try db.execute(sql: sql, arguments: StatementArguments(run.values))
                    }
                }
                return .created(newID: newID)
            }
        } catch is MissingPlatformID {
            return .unavailable("new platform database: id_query returned no `new_id`; the job is retried")
        } catch is UnreadableSecret {
            // Ferry carries secrets it decoded itself, so this job is broken, not the user.
            return .rejected("an OTP secret of the job is not base32")
        } catch let error as DatabaseError {
            return Self.outcome(of: error.extendedResultCode, message: error.message)
        } catch {
            return .unavailable("new platform database: \(type(of: error))")
        }
    }

    public func holdsUser(_ identifier: String) async -> Bool? {
        guard let query = settings.lookupQuery else { return nil }
        return try? await database.read { db in
            try Row.fetchOne(db, sql: query, arguments: ["identifier": identifier]) != nil
        }
    }

    /// Whether the account `existing_query` found is this job's user: only
    /// when it is provably so — its `legacy_id` is this user's, or, for a
    /// store that keeps no legacy id, its `password_hash` is the very hash
    /// this job carries (sealed once, the same on every retry; no other
    /// account has it). Anything else is another person's account: a
    /// conflict, never a user sent to an account whose password is not theirs.
    static func ownership(of row: QueryRow, job: ProvisioningJob) -> TargetOutcome {
        let id = row["new_id"].textValue ?? ""
        if let owner = row["legacy_id"].textValue {
            return owner == job.identity.legacyID
                ? .alreadyThere(newID: id) : .conflict("the new platform already has a different user")
        }
        if row.hasColumn("password_hash") {
            return row["password_hash"].textValue == job.identity.credential.passwordHash
                ? .alreadyThere(newID: id) : .conflict("the new platform already has a different user")
        }
        if row.hasColumn("legacy_id") {
            return .conflict("the new platform already has a user with this identifier that Ferry did not create")
        }
        return .conflict(
            "existing_query found a user but returns neither `legacy_id` nor `password_hash`, so it cannot be shown to be this one"
        )
    }

    static func text(_ row: Row, _ column: String) -> String? {
        guard row.hasColumn(column) else { return nil }
        return (row[column] as DatabaseValue).storage.textValue
    }

    /// What a failed transaction means for the job. Only a uniqueness
    /// constraint is this user meeting another one (a conflict: the user stays
    /// on legacy as failed). NOT NULL, CHECK and foreign-key violations, a
    /// missing table, column or parameter, a lock or I/O are fixed on the
    /// operator's or the platform's side: the job stays in the outbox and is
    /// retried, so fixing `[target]` and reloading finishes it; the user is
    /// never a permanent failure for a configuration mistake.
    static func outcome(of code: ResultCode, message: String?) -> TargetOutcome {
        let detail = "new platform database: \(message ?? "SQLite error \(code)")"
        switch code {
        case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY: return .conflict(detail)
        case .SQLITE_CONSTRAINT_NOTNULL, .SQLITE_CONSTRAINT_CHECK, .SQLITE_CONSTRAINT_FOREIGNKEY:
            return .unavailable("\(detail) (the statements or the schema need fixing; the job is retried)")
        default: return .unavailable(detail)
        }
    }

    /// The same reading of a PostgreSQL error, by SQLSTATE: 23505 (unique)
    /// is a conflict; NOT NULL (23502), CHECK (23514), foreign keys (23503),
    /// missing tables or columns and everything else keep the job.
    static func outcome(sqlState: String?, summary: String) -> TargetOutcome {
        let detail = "new platform database: \(summary)"
        switch sqlState {
        case "23505": return .conflict(detail)
        case "23502", "23514", "23503", "42703", "42P01", "42883", "42P18", "22P02":
            return .unavailable("\(detail) (the statements or the schema need fixing; the job is retried)")
        default: return .unavailable(detail)
        }
    }
}

extension SQLTarget {
    /// The same reading of a MySQL or MariaDB error, by its number: 1062 and
    /// 1586 (duplicate key) are a conflict; NOT NULL (1048, 1364), foreign
    /// keys (1451, 1452), CHECK (3819, 4025), missing tables or columns (1146,
    /// 1054) and ill-typed values (1366, 1292) need the statements or schema
    /// fixed; everything else, a lost connection included, keeps the job.
    static func outcome(mysql error: MySQLError) -> TargetOutcome {
        let detail = "new platform database: \(error)"
        switch error.code {
        case 1062, 1586: return .conflict(detail)
        case 1048, 1364, 1451, 1452, 3819, 4025, 1146, 1054, 1366, 1292:
            return .unavailable("\(detail) (the statements or the schema need fixing; the job is retried)")
        default: return .unavailable(detail)
        }
    }
}

struct UnreadableSecret: Error {}
struct MissingPlatformID: Error {}

public struct TargetSetupError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
