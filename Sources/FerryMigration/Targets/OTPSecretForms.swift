import Foundation
import PasswordHashes

/// One OTP factor's secret in each form a new platform's table may store it
/// in: base32 (most authenticator stores), lowercase hex, base64, and the
/// `otpauth://` key URI that authenticator apps scan. The sql target offers all
/// of them as parameters, so that no statement has to re-encode in SQL.
struct OTPSecretForms: Equatable {
    var base32: String
    var hex: String
    var base64: String
    /// Google Authenticator's key URI format: `otpauth://totp/ISSUER:ACCOUNT?…`.
    var uri: String

    /// nil when the carried secret is not base32 (the legacy source only
    /// carries secrets it could decode, so this is a broken job, not a user).
    init?(_ factor: CanonicalIdentity.TOTPFactor, account: String, issuer: String?) {
        self.init(
            secret: factor.secret, type: "totp", account: account, issuer: issuer,
            settings: [
                "algorithm=\(factor.algorithm)", "digits=\(factor.digits)", "period=\(factor.period)",
            ])
    }

    /// The HOTP key URI carries the counter the platform expects next.
    init?(_ factor: CanonicalIdentity.HOTPFactor, account: String, issuer: String?) {
        self.init(
            secret: factor.secret, type: "hotp", account: account, issuer: issuer,
            settings: ["algorithm=\(factor.algorithm)", "digits=\(factor.digits)", "counter=\(factor.counter)"])
    }

    private init?(secret: String, type: String, account: String, issuer: String?, settings: [String]) {
        guard let bytes = Base32.decode(secret), !bytes.isEmpty else { return nil }
        base32 = secret
        hex = Hex.encode(bytes)
        base64 = Data(bytes).base64EncodedString()
        // The label's parts and the query values are percent-encoded; `:` only
        // separates issuer from account.
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: ":/?#[]@!$&'()*+,;=%")
        func escaped(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }
        let label = issuer.map { "\(escaped($0)):\(escaped(account))" } ?? escaped(account)
        var query = ["secret=\(secret)"]
        if let issuer { query.append("issuer=\(escaped(issuer))") }
        uri = "otpauth://\(type)/\(label)?\((query + settings).joined(separator: "&"))"
    }
}
