import Crypto
import Foundation
import PasswordHashes

/// AWS Signature Version 4 for one JSON API request (`POST /`, as Cognito's
/// `X-Amz-Target` calls are made): the headers to send, `Authorization`
/// included. Pure, so a table test can hold it to botocore's signatures.
struct AWSSignature: Sendable {
    var accessKeyID: String
    var secretAccessKey: String
    var sessionToken: String?
    var region: String
    var service: String

    /// Headers for a POST of `body` to `host` at `date`, signed.
    func headers(host: String, target: String, body: [UInt8], date: Date) -> [(String, String)] {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let stamp = formatter.string(from: date)
        let day = String(stamp.prefix(8))
        var signed: [(String, String)] = [
            ("content-type", "application/x-amz-json-1.1"), ("host", host), ("x-amz-date", stamp),
            ("x-amz-target", target),
        ]
        if let sessionToken { signed.append(("x-amz-security-token", sessionToken)) }
        signed.sort { $0.0 < $1.0 }
        let names = signed.map(\.0).joined(separator: ";")
        let canonical = [
            "POST", "/", "", signed.map { "\($0.0):\($0.1)\n" }.joined(), names,
            Hex.encode(Array(SHA256.hash(data: body))),
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = ["AWS4-HMAC-SHA256", stamp, scope, Hex.encode(Array(SHA256.hash(data: Array(canonical.utf8))))]
            .joined(separator: "\n")
        var key = SymmetricKey(data: Array("AWS4\(secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        let signature = Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: key)))
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=\(names), Signature=\(signature)"
        return signed + [("authorization", authorization)]
    }
}
