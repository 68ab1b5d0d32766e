import AsyncHTTPClient
import FerryConfig
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// The legacy platform's verdict through its token endpoint: the OAuth 2.0
/// resource-owner password grant. The platform's own lockout counts the
/// attempt; only a definite "no" is a wrong password.
struct OAuthPasswordJudge: Sendable {
    let settings: LegacyAnswerSettings
    let client: HTTPClient
    let logger: Logger

    /// What an answer means. Tokens, or a demand for a second factor (Auth0's
    /// `mfa_required`), mean the password was right. `invalid_grant` (and
    /// Auth0's `unauthorized` for a blocked user, `too_many_attempts` for a
    /// locked one) mean no. A client the platform does not accept, throttling,
    /// a 5xx or anything unreadable is the platform unavailable — never a
    /// wrong password.
    static func verdict(status: Int, body: [UInt8]) -> LegacyJudgement {
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        let error = object?["error"] as? String
        if status == 200, object?["access_token"] is String { return .accepted }
        switch (status, error) {
        case (400...403, "mfa_required"?), (400...403, "mfa_registration_required"?): return .accepted
        case (400...403, "invalid_grant"?), (401...403, "unauthorized"?), (429, "too_many_attempts"?): return .rejected
        case (_, let error?): return .unavailable("token endpoint answered \(status) \(error)")
        default: return .unavailable("token endpoint answered \(status)")
        }
    }

    func judge(username: String, password: String) async -> LegacyJudgement {
        var fields = [
            ("grant_type", "password"), ("username", username), ("password", password),
            ("client_id", settings.clientID),
        ]
        if let secret = settings.clientSecret?.value { fields.append(("client_secret", secret)) }
        if let scope = settings.scope { fields.append(("scope", scope)) }
        if let audience = settings.audience { fields.append(("audience", audience)) }
        var request = HTTPClientRequest(url: settings.tokenURL?.description ?? "")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: Self.form(fields)))
        do {
            let response = try await client.execute(
                request, timeout: .seconds(max(1, Int64(settings.timeout.components.seconds))))
            let body = try await response.body.collect(upTo: 1 << 20)
            let verdict = Self.verdict(status: Int(response.status.code), body: Array(buffer: body))
            if case .unavailable(let reason) = verdict {
                logger.warning("legacy token endpoint did not judge the password", metadata: ["reason": "\(reason)"])
            }
            return verdict
        } catch {
            logger.warning("legacy token endpoint unreachable", metadata: ["error": "\(type(of: error))"])
            return .unavailable("token endpoint unreachable")
        }
    }

    /// `application/x-www-form-urlencoded`, every reserved byte escaped.
    static func form(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
    }
}
