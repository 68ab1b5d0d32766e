import AsyncHTTPClient
import FerryConfig
import Foundation
import NIOCore
import Synchronization

/// The bearer token for a legacy admin API: a static one, or one fetched with
/// the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) and kept until a
/// minute before it expires (or until the API refuses it).
final class AdminAPIToken: Sendable {
    private let settings: HTTPSourceSettings
    private let client: HTTPClient
    private let cached = Mutex<(token: String, until: Date)?>(nil)

    init(settings: HTTPSourceSettings, client: HTTPClient) {
        self.settings = settings
        self.client = client
    }

    func current() async throws(LegacySourceError) -> String {
        if let token = settings.token?.value { return token }
        let now = Date()
        if let (token, until) = cached.withLock({ $0 }), until > now { return token }
        let fetched = try await fetch()
        cached.withLock { $0 = (fetched.token, now.addingTimeInterval(max(0, fetched.lifetime - 60))) }
        return fetched.token
    }

    /// The API refused the token: fetch another next time.
    func forget() { cached.withLock { $0 = nil } }

    private func fetch() async throws(LegacySourceError) -> (token: String, lifetime: TimeInterval) {
        guard let url = settings.tokenURL, let clientID = settings.clientID else {
            throw .unavailable("[legacy.http] has neither a token nor client credentials")
        }
        var fields = [("grant_type", "client_credentials"), ("client_id", clientID)]
        if let secret = settings.clientSecret?.value { fields.append(("client_secret", secret)) }
        if let audience = settings.audience { fields.append(("audience", audience)) }
        var request = HTTPClientRequest(url: url.description)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: OAuthPasswordJudge.form(fields)))
        let (status, body) = try await client.answer(
            request, timeout: settings.timeout, limit: 1 << 20, what: "admin API token endpoint")
        let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any]
        guard status == 200, let token = object?["access_token"] as? String, !token.isEmpty else {
            let error = (object?["error"] as? String).map { " \($0)" } ?? ""
            throw .unavailable("admin API token endpoint answered \(status)\(error)")
        }
        let lifetime = (object?["expires_in"] as? NSNumber)?.doubleValue ?? 3600
        return (token, lifetime)
    }
}
