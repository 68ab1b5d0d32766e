import FerryConfig
import FerryStore
import Foundation
import PasswordHashes

/// One row of `mfa_query` read into the canonical MFA record, by column alias.
/// A value that is present but unreadable (a `digits` of "six", a
/// `last_used_step` that is not a number) is an error naming the column and
/// the user, never a silent default: a wrong counter or step locks the user
/// out or lets a used code in again.
extension LegacyRows {
    static func addFactor(
        _ row: QueryRow, to mfa: inout CanonicalIdentity.MFA, encoding: LegacySourceSettings.TOTPSecretEncoding,
        decryption: LegacySecretDecryption? = nil, of legacyID: String
    ) throws {
        let kind = text(row, "kind")?.lowercased() ?? (row.hasColumn("secret") ? "totp" : "")
        let owner = "a \(kind) factor of legacy user \(legacyID)"
        switch kind {
        case "totp":
            let secret = try secret(row, encoding: encoding, decryption: decryption, of: owner)
            let period = try integer(row, "period", of: owner).map(Int.init) ?? 30
            let t0 = try integer(row, "t0", of: owner) ?? 0
            let lastUsedAt = try date(row, "last_used_at", of: owner)
            guard period > 0 else { throw LegacySourceError.badRow("column `period` of \(owner) must be above 0") }
            // A store that keeps only when a code was last accepted still says
            // which step that code belonged to.
            let lastUsedStep =
                try integer(row, "last_used_step", of: owner)
                ?? lastUsedAt.map { (Int64($0.timeIntervalSince1970) - t0) / Int64(period) }
            mfa.totp.append(
                .init(
                    secret: secret, digits: try digits(row, of: owner), period: period,
                    algorithm: try algorithm(row, of: owner), label: text(row, "label"),
                    confirmed: try boolean(row, "confirmed", of: owner) ?? true, lastUsedStep: lastUsedStep,
                    drift: try integer(row, "drift", of: owner).map(Int.init) ?? 0, t0: t0,
                    window: try integer(row, "window", of: owner).map(Int.init),
                    createdAt: try date(row, "created_at", of: owner), lastUsedAt: lastUsedAt))
        case "hotp":
            guard let counter = try integer(row, "counter", of: owner) else {
                throw LegacySourceError.badRow("\(owner) has no `counter` column")
            }
            mfa.hotp.append(
                .init(
                    secret: try secret(row, encoding: encoding, decryption: decryption, of: owner), counter: counter,
                    digits: try digits(row, of: owner), algorithm: try algorithm(row, of: owner),
                    label: text(row, "label"), confirmed: try boolean(row, "confirmed", of: owner) ?? true,
                    window: try integer(row, "window", of: owner).map(Int.init),
                    createdAt: try date(row, "created_at", of: owner),
                    lastUsedAt: try date(row, "last_used_at", of: owner)))
        case "recovery_code":
            guard let code = text(row, "code") else {
                throw LegacySourceError.badRow("\(owner) has no `code` column")
            }
            let usedAt = try date(row, "used_at", of: owner)
            mfa.recoveryCodes.append(
                .init(code: code, used: try boolean(row, "used", of: owner) ?? (usedAt != nil), usedAt: usedAt))
        case "webauthn":
            guard let id = text(row, "credential_id"), let key = text(row, "public_key") else {
                throw LegacySourceError.badRow("\(owner) needs `credential_id` and `public_key`")
            }
            mfa.webauthn.append(
                .init(
                    credentialID: id, publicKey: key,
                    signCount: try integer(row, "sign_count", of: owner).map(Int.init) ?? 0,
                    transports: (text(row, "transports") ?? "").split(separator: ",").map {
                        $0.trimmingCharacters(in: .whitespaces)
                    }, aaguid: text(row, "aaguid"), label: text(row, "label"),
                    backupEligible: try boolean(row, "backup_eligible", of: owner),
                    backedUp: try boolean(row, "backed_up", of: owner),
                    createdAt: try date(row, "created_at", of: owner),
                    lastUsedAt: try date(row, "last_used_at", of: owner)))
        case "phone", "sms":
            guard let phone = text(row, "phone") else {
                throw LegacySourceError.badRow("\(owner) has no `phone` column")
            }
            mfa.phones.append(
                .init(
                    number: phone, verified: try boolean(row, "verified", of: owner) ?? true, label: text(row, "label"))
            )
        default:
            throw LegacySourceError.badRow(
                "mfa_query returned kind \"\(kind)\" for legacy user \(legacyID); expected totp, hotp, recovery_code, webauthn or phone"
            )
        }
    }

    static func secret(
        _ row: QueryRow, encoding: LegacySourceSettings.TOTPSecretEncoding, decryption: LegacySecretDecryption? = nil,
        of owner: String
    ) throws -> String {
        guard var stored = text(row, "secret") else {
            throw LegacySourceError.badRow("\(owner) has no readable `secret` (\(encoding.rawValue))")
        }
        if let decryption {
            guard let plain = decryption.decrypt(stored, iv: text(row, "secret_iv")) else {
                throw LegacySourceError.badRow(
                    "the `secret` of \(owner) does not decrypt with [legacy.encryption] (\(decryption.scheme.rawValue)): a wrong key or salt, or a value in another format"
                )
            }
            stored = plain
        }
        guard let secret = base32Secret(stored, encoding: encoding) else {
            throw LegacySourceError.badRow("\(owner) has no readable `secret` (\(encoding.rawValue))")
        }
        return secret
    }

    static func base32Secret(_ stored: String, encoding: LegacySourceSettings.TOTPSecretEncoding) -> String? {
        let bytes: [UInt8]?
        switch encoding {
        case .base32: bytes = Base32.decode(stored)
        case .hex: bytes = Hex.decode(stored)
        case .base64: bytes = Data(base64Encoded: stored).map(Array.init)
        }
        guard let bytes, !bytes.isEmpty else { return nil }
        return Base32.encode(bytes)
    }

    static func digits(_ row: QueryRow, of owner: String) throws -> Int {
        let digits = try integer(row, "digits", of: owner).map(Int.init) ?? 6
        guard (6...10).contains(digits) else {
            throw LegacySourceError.badRow("column `digits` of \(owner) must be 6 to 10")
        }
        return digits
    }

    static func algorithm(_ row: QueryRow, of owner: String) throws -> String {
        let algorithm = (text(row, "algorithm") ?? "SHA1").uppercased().replacingOccurrences(of: "-", with: "")
        guard ["SHA1", "SHA256", "SHA512"].contains(algorithm) else {
            throw LegacySourceError.badRow("column `algorithm` of \(owner) must be SHA1, SHA256 or SHA512")
        }
        return algorithm
    }

    /// A whole number stored as an integer, a float without fraction or text;
    /// nil when the column is absent or NULL.
    static func integer(_ row: QueryRow, _ column: String, of owner: String) throws -> Int64? {
        guard row.hasColumn(column) else { return nil }
        switch row[column] {
        case .null: return nil
        case .integer(let number): return number
        case .real(let number) where number.rounded() == number && abs(number) < 9e18: return Int64(number)
        case .text(let text):
            if let number = Int64(text.trimmingCharacters(in: .whitespaces)) { return number }
        default: break
        }
        throw LegacySourceError.badRow("column `\(column)` of \(owner) is not a whole number")
    }

    /// 1/0, true/false, t/f, yes/no, y/n in any case; nil when absent or NULL.
    static func boolean(_ row: QueryRow, _ column: String, of owner: String) throws -> Bool? {
        guard row.hasColumn(column) else { return nil }
        switch row[column] {
        case .null: return nil
        case .boolean(let flag): return flag
        case .integer(let number) where number == 0 || number == 1: return number == 1
        case .text(let text):
            switch text.trimmingCharacters(in: .whitespaces).lowercased() {
            case "1", "true", "t", "yes", "y": return true
            case "0", "false", "f", "no", "n": return false
            default: break
            }
        default: break
        }
        throw LegacySourceError.badRow("column `\(column)` of \(owner) is not a boolean (1/0, true/false)")
    }
}
