import FerryConfig
import Foundation
import GRDB

/// Runs the configured statements in one transaction against the new
/// platform's SQLite database. `existing_query` first looks for the user, so a
/// retried job recognises its own row and a stranger's row is a conflict.
public final class SQLTarget: ProvisioningTarget {
    public var kind: TargetSettings.TargetKind { .sql }
    let database: DatabaseQueue
    let settings: TargetSettings

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
    }

    public func provision(_ job: ProvisioningJob) async -> TargetOutcome {
        let settings = settings
        do {
            return try await database.write { db -> TargetOutcome in
                let base = Self.parameters(job, dateFormat: settings.dateFormat)
                if let query = settings.existingQuery,
                    let row = try Row.fetchOne(db, sql: query, arguments: StatementArguments(base))
                {
                    let owner = (row["legacy_id"] as DatabaseValue).storage.textValue
                    let id = (row["new_id"] as DatabaseValue).storage.textValue ?? ""
                    return owner == job.identity.legacyID
                        ? .alreadyThere(newID: id) : .conflict("the new platform already has a different user")
                }
                for sql in settings.statements {
                    try db.execute(sql: sql, arguments: StatementArguments(base))
                }
                // `updateValue`, not subscript assignment: assigning nil would remove the
                // parameter, and a statement naming it would fail.
                for factor in job.identity.mfa.totp {
                    guard
                        let forms = TOTPSecretForms(
                            factor, account: job.identity.email ?? job.identity.loginName, issuer: settings.totpIssuer)
                    else { throw UnreadableSecret() }
                    var values = base
                    values.updateValue(forms.base32, forKey: "totp_secret")
                    values.updateValue(forms.base32, forKey: "totp_secret_base32")
                    values.updateValue(forms.hex, forKey: "totp_secret_hex")
                    values.updateValue(forms.base64, forKey: "totp_secret_base64")
                    values.updateValue(forms.uri, forKey: "totp_uri")
                    values.updateValue(factor.digits, forKey: "totp_digits")
                    values.updateValue(factor.period, forKey: "totp_period")
                    values.updateValue(factor.algorithm, forKey: "totp_algorithm")
                    for sql in settings.totpStatements {
                        try db.execute(sql: sql, arguments: StatementArguments(values))
                    }
                }
                for code in job.identity.mfa.recoveryCodes {
                    var values = base
                    values.updateValue(code, forKey: "recovery_code")
                    for sql in settings.recoveryCodeStatements {
                        try db.execute(sql: sql, arguments: StatementArguments(values))
                    }
                }
                for consent in job.identity.consents {
                    var values = base
                    values.updateValue(consent.purpose, forKey: "consent_purpose")
                    values.updateValue(consent.client, forKey: "consent_client")
                    values.updateValue(consent.version, forKey: "consent_version")
                    values.updateValue(consent.granted, forKey: "consent_granted")
                    Self.addDate(consent.at, named: "consent_granted_at", to: &values, format: settings.dateFormat)
                    values.updateValue(consent.source, forKey: "consent_source")
                    for sql in settings.consentStatements {
                        try db.execute(sql: sql, arguments: StatementArguments(values))
                    }
                }
                return .created(newID: job.newID)
            }
        } catch is UnreadableSecret {
            // Ferry carries secrets it decoded itself, so this job is broken, not the user.
            return .rejected("a TOTP secret of the job is not base32")
        } catch let error as DatabaseError {
            return Self.outcome(of: error.extendedResultCode, message: error.message)
        } catch {
            return .unavailable("new platform database: \(type(of: error))")
        }
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

    /// The named parameters every statement may use. Dates come in the
    /// target's `date_format` and, by suffix, in every form (`_unix`,
    /// `_iso8601`, `_sql`).
    static func parameters(_ job: ProvisioningJob, dateFormat: TargetSettings.DateFormat = .unix, now: Date = Date())
        -> [String: (any DatabaseValueConvertible)?]
    {
        let identity = job.identity
        var values: [String: (any DatabaseValueConvertible)?] = [
            "new_id": job.newID, "legacy_id": identity.legacyID, "username": identity.loginName,
            "email": identity.email, "email_verified": identity.emailVerified, "phone": identity.phone,
            "password_hash": identity.credential.passwordHash, "legacy_scheme": identity.credential.legacyScheme,
            "given_name": identity.profile.givenName ?? "", "family_name": identity.profile.familyName ?? "",
            "locale": identity.profile.locale, "mfa_enrolled": identity.mfa.isEnrolled,
            "mfa_reenroll_required": identity.mfa.reenrollRequired,
        ]
        let dates = [
            ("created_at", identity.metadata.createdAt), ("last_login_at", identity.metadata.lastLoginAt),
            ("migrated_at", identity.metadata.migratedAt), ("now", now),
        ]
        for (name, date) in dates { addDate(date, named: name, to: &values, format: dateFormat) }
        return values
    }

    /// `name` in the target's form and `name_unix`, `name_iso8601`, `name_sql`;
    /// NULL in all of them when the legacy row had no date.
    static func addDate(
        _ date: Date?, named name: String, to values: inout [String: (any DatabaseValueConvertible)?],
        format: TargetSettings.DateFormat
    ) {
        values.updateValue(date.map(format.value), forKey: name)
        for form in TargetSettings.DateFormat.allCases {
            values.updateValue(date.map(form.value), forKey: "\(name)_\(form.rawValue)")
        }
    }
}

private struct UnreadableSecret: Error {}

public struct TargetSetupError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
