import Foundation
import PasswordHashes

/// One TOTP factor's secret in each form a new platform's table may store it
/// in: base32 (most authenticator stores), lowercase hex, base64, and the
/// `otpauth://` key URI that authenticator apps scan. The sql target offers all
/// of them as parameters, so that no statement has to re-encode in SQL.
struct TOTPSecretForms: Equatable {
    var base32: String
    var hex: String
    var base64: String
    /// Google Authenticator's key URI format: `otpauth://totp/ISSUER:ACCOUNT?…`.
    var uri: String

    /// nil when the carried secret is not base32 (the legacy source only
    /// carries secrets it could decode, so this is a broken job, not a user).
    init?(_ factor: CanonicalIdentity.TOTPFactor, account: String, issuer: String?) {
        guard let bytes = Base32.decode(factor.secret), !bytes.isEmpty else { return nil }
        base32 = factor.secret
        hex = Hex.encode(bytes)
        base64 = Data(bytes).base64EncodedString()
        uri = Self.uri(secret: factor.secret, factor: factor, account: account, issuer: issuer)
    }

    static func uri(secret: String, factor: CanonicalIdentity.TOTPFactor, account: String, issuer: String?) -> String {
        // The label's parts and the query values are percent-encoded; `:` only
        // separates issuer from account.
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: ":/?#[]@!$&'()*+,;=%")
        func escaped(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }
        let label = issuer.map { "\(escaped($0)):\(escaped(account))" } ?? escaped(account)
        var query = ["secret=\(secret)"]
        if let issuer { query.append("issuer=\(escaped(issuer))") }
        query += ["algorithm=\(factor.algorithm)", "digits=\(factor.digits)", "period=\(factor.period)"]
        return "otpauth://totp/\(label)?\(query.joined(separator: "&"))"
    }
}
