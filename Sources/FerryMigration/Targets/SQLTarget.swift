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
                let base = Self.parameters(job)
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
                for factor in job.identity.mfa.totp {
                    var values = base
                    values["totp_secret"] = factor.secret
                    values["totp_digits"] = factor.digits
                    values["totp_period"] = factor.period
                    values["totp_algorithm"] = factor.algorithm
                    for sql in settings.totpStatements {
                        try db.execute(sql: sql, arguments: StatementArguments(values))
                    }
                }
                for code in job.identity.mfa.recoveryCodes {
                    var values = base
                    values["recovery_code"] = code
                    for sql in settings.recoveryCodeStatements {
                        try db.execute(sql: sql, arguments: StatementArguments(values))
                    }
                }
                for consent in job.identity.consents {
                    var values = base
                    values["consent_purpose"] = consent.purpose
                    values["consent_client"] = consent.client
                    values["consent_version"] = consent.version
                    values["consent_granted"] = consent.granted
                    values["consent_granted_at"] = consent.at?.timeIntervalSince1970
                    values["consent_source"] = consent.source
                    for sql in settings.consentStatements {
                        try db.execute(sql: sql, arguments: StatementArguments(values))
                    }
                }
                return .created(newID: job.newID)
            }
        } catch let error as DatabaseError {
            let message = error.message ?? "SQLite error \(error.resultCode)"
            switch error.resultCode {
            case .SQLITE_CONSTRAINT: return .conflict("new platform database: \(message)")
            case .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_CANTOPEN, .SQLITE_IOERR, .SQLITE_FULL, .SQLITE_READONLY:
                return .unavailable("new platform database: \(message)")
            default: return .rejected("new platform database: \(message)")
            }
        } catch {
            return .unavailable("new platform database: \(type(of: error))")
        }
    }

    /// The named parameters every statement may use.
    static func parameters(_ job: ProvisioningJob) -> [String: (any DatabaseValueConvertible)?] {
        let identity = job.identity
        return [
            "new_id": job.newID, "legacy_id": identity.legacyID, "username": identity.loginName,
            "email": identity.email, "email_verified": identity.emailVerified, "phone": identity.phone,
            "password_hash": identity.credential.passwordHash, "legacy_scheme": identity.credential.legacyScheme,
            "given_name": identity.profile.givenName ?? "", "family_name": identity.profile.familyName ?? "",
            "locale": identity.profile.locale, "created_at": identity.metadata.createdAt?.timeIntervalSince1970,
            "last_login_at": identity.metadata.lastLoginAt?.timeIntervalSince1970,
            "migrated_at": identity.metadata.migratedAt?.timeIntervalSince1970,
            "now": Date().timeIntervalSince1970, "mfa_enrolled": identity.mfa.isEnrolled,
            "mfa_reenroll_required": identity.mfa.reenrollRequired,
        ]
    }
}

public struct TargetSetupError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
