import FerryConfig
import Foundation
import GRDB
import PasswordHashes

/// The named parameters of the sql target's statements: what the user
/// statements see, and one run of the per-item statements for each factor,
/// recovery code and consent, with that item's whole state.
extension SQLTarget {
    typealias Values = [String: (any DatabaseValueConvertible)?]

    /// Per-item statements and the parameters of one run of them.
    struct ItemRun {
        var statements: [String]
        var values: Values
    }

    /// The named parameters every statement may use. Dates come in the
    /// target's `date_format` and, by suffix, in every form (`_unix`,
    /// `_iso8601`, `_sql`).
    static func parameters(_ job: ProvisioningJob, dateFormat: TargetSettings.DateFormat = .unix, now: Date = Date())
        -> Values
    {
        let identity = job.identity
        var values: Values = [
            "new_id": job.newID, "ferry_id": job.newID, "legacy_id": identity.legacyID, "username": identity.loginName,
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
        values.updateValue(identity.roles.joined(separator: ","), forKey: "roles")
        // Every carried attribute as `:attr_NAME`, in its type.
        for (name, value) in identity.attributes {
            let key = "attr_\(name)"
            switch value {
            case .text(let text): values.updateValue(text, forKey: key)
            case .integer(let number): values.updateValue(number, forKey: key)
            case .number(let number): values.updateValue(number, forKey: key)
            case .boolean(let flag): values.updateValue(flag, forKey: key)
            case .date(let date): addDate(date, named: key, to: &values, format: dateFormat)
            case .null: values.updateValue(nil, forKey: key)
            }
        }
        return values
    }

    /// Every run of the per-item statements, in order: TOTP, HOTP, recovery
    /// codes, WebAuthn, phones, roles, consents. Each run sees `base` plus its item.
    /// Throws `UnreadableSecret` when a carried OTP secret is not base32.
    static func itemRuns(_ job: ProvisioningJob, settings: TargetSettings, base: Values) throws -> [ItemRun] {
        let identity = job.identity
        let mfa = identity.mfa
        let account = identity.email ?? identity.loginName
        let format = settings.dateFormat
        var runs: [ItemRun] = []
        // `updateValue`, not subscript assignment: assigning nil would remove the
        // parameter, and a statement naming it would fail.
        func run(_ statements: [String], _ item: [(String, (any DatabaseValueConvertible)?)], dates: [(String, Date?)])
        {
            guard !statements.isEmpty else { return }
            var values = base
            for (name, value) in item { values.updateValue(value, forKey: name) }
            for (name, date) in dates { addDate(date, named: name, to: &values, format: format) }
            runs.append(ItemRun(statements: statements, values: values))
        }
        func secrets(_ prefix: String, _ forms: OTPSecretForms) -> [(String, (any DatabaseValueConvertible)?)] {
            [
                ("\(prefix)_secret", forms.base32), ("\(prefix)_secret_base32", forms.base32),
                ("\(prefix)_secret_hex", forms.hex), ("\(prefix)_secret_base64", forms.base64),
                ("\(prefix)_uri", forms.uri),
            ]
        }
        for factor in mfa.totp {
            guard let forms = OTPSecretForms(factor, account: account, issuer: settings.totpIssuer) else {
                throw UnreadableSecret()
            }
            run(
                settings.totpStatements,
                secrets("totp", forms) + [
                    ("totp_digits", factor.digits), ("totp_period", factor.period),
                    ("totp_algorithm", factor.algorithm), ("totp_label", factor.label),
                    ("totp_confirmed", factor.confirmed), ("totp_last_used_step", factor.lastUsedStep),
                    ("totp_drift", factor.drift), ("totp_t0", factor.t0), ("totp_window", factor.window),
                ], dates: [("totp_created_at", factor.createdAt), ("totp_last_used_at", factor.lastUsedAt)])
        }
        for factor in mfa.hotp {
            guard let forms = OTPSecretForms(factor, account: account, issuer: settings.totpIssuer) else {
                throw UnreadableSecret()
            }
            run(
                settings.hotpStatements,
                secrets("hotp", forms) + [
                    ("hotp_counter", factor.counter), ("hotp_digits", factor.digits),
                    ("hotp_algorithm", factor.algorithm), ("hotp_label", factor.label),
                    ("hotp_confirmed", factor.confirmed), ("hotp_window", factor.window),
                ], dates: [("hotp_created_at", factor.createdAt), ("hotp_last_used_at", factor.lastUsedAt)])
        }
        for code in mfa.recoveryCodes {
            run(
                settings.recoveryCodeStatements,
                [
                    ("recovery_code", code.code), ("recovery_code_used", code.used),
                    // For a platform that keeps digests of codes legacy kept in clear
                    // (django-otp's backup codes).
                    ("recovery_code_sha256", Hex.encode(DigestAlgorithm.sha256.digest(Array(code.code.utf8)))),
                ],
                dates: [("recovery_code_used_at", code.usedAt)])
        }
        for credential in mfa.webauthn {
            run(
                settings.webauthnStatements,
                [
                    ("webauthn_credential_id", credential.credentialID),
                    ("webauthn_public_key", credential.publicKey), ("webauthn_sign_count", credential.signCount),
                    ("webauthn_transports", credential.transports.joined(separator: ",")),
                    ("webauthn_aaguid", credential.aaguid), ("webauthn_label", credential.label),
                    ("webauthn_backup_eligible", credential.backupEligible),
                    ("webauthn_backed_up", credential.backedUp),
                ],
                dates: [
                    ("webauthn_created_at", credential.createdAt), ("webauthn_last_used_at", credential.lastUsedAt),
                ]
            )
        }
        for phone in mfa.phones {
            run(
                settings.phoneStatements,
                [
                    ("mfa_phone", phone.number), ("mfa_phone_verified", phone.verified),
                    ("mfa_phone_label", phone.label),
                ],
                dates: [])
        }
        for role in identity.roles {
            run(settings.roleStatements, [("role", role)], dates: [])
        }
        for consent in identity.consents {
            run(
                settings.consentStatements,
                [
                    ("consent_purpose", consent.purpose), ("consent_client", consent.client),
                    ("consent_version", consent.version), ("consent_granted", consent.granted),
                    ("consent_source", consent.source),
                ], dates: [("consent_granted_at", consent.at)])
        }
        return runs
    }

    /// The `:attr_NAME` parameters `statements` name. One this user's record
    /// lacks (a job sealed before the column was added to `user_query`) is
    /// bound to NULL, not left a missing parameter that would fail the job on
    /// every retry.
    static func attributeParameters(in statements: [String]) -> Set<String> {
        var names = Set<String>()
        for statement in statements {
            var rest = statement[...]
            while let colon = rest.range(of: ":attr_") {
                let name = rest[rest.index(after: colon.lowerBound)...].prefix {
                    $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_")
                }
                names.insert(String(name))
                rest = rest[colon.upperBound...]
            }
        }
        return names
    }

    /// `name` in the target's form and `name_unix`, `name_iso8601`, `name_sql`;
    /// NULL in all of them when the legacy row had no date.
    static func addDate(_ date: Date?, named name: String, to values: inout Values, format: TargetSettings.DateFormat) {
        values.updateValue(date.map(format.value), forKey: name)
        for form in TargetSettings.DateFormat.allCases {
            values.updateValue(date.map(form.value), forKey: "\(name)_\(form.rawValue)")
        }
    }
}
