import AsyncHTTPClient
import FerryConfig
import Foundation
import NIOCore
import NIOHTTP1

/// Cognito's JSON API (`AWSCognitoIdentityProviderService.*`), signed with
/// SigV4. Errors keep Cognito's own type (`NotAuthorizedException`,
/// `UserNotFoundException` …) so callers can tell a wrong password from an
/// outage; no message carries a password or a token.
struct CognitoAPI: Sendable {
    enum Failure: Error, Equatable, CustomStringConvertible {
        /// Cognito answered 4xx with this `__type` (namespace stripped).
        case refused(type: String, message: String)
        /// No answer in time, a connection error, a 5xx, or throttling.
        case unavailable(String)

        var description: String {
            switch self {
            case .refused(let type, let message): return "Cognito \(type): \(message)"
            case .unavailable(let reason): return "Cognito unavailable: \(reason)"
            }
        }
    }

    let settings: CognitoSourceSettings
    let signature: AWSSignature
    let client: HTTPClient

    init(settings: CognitoSourceSettings, client: HTTPClient = LegacyHTTPClient.shared) throws(LegacySourceError) {
        guard let secret = settings.secretAccessKey?.value else {
            throw .unavailable("[legacy.cognito] has no secret access key")
        }
        self.settings = settings
        signature = AWSSignature(
            accessKeyID: settings.accessKeyID, secretAccessKey: secret, sessionToken: settings.sessionToken?.value,
            region: settings.region, service: "cognito-idp")
        self.client = client
    }

    /// Calls `operation` with `body`; the decoded JSON object answered.
    func call(_ operation: String, _ body: [String: Any]) async throws(Failure) -> [String: Any] {
        guard let url = URL(string: settings.url), let host = url.host else {
            throw .unavailable("endpoint \(settings.url) has no host")
        }
        let hostHeader = url.port.map { "\(host):\($0)" } ?? host
        let payload: [UInt8]
        do {
            payload = Array(try JSONSerialization.data(withJSONObject: body))
        } catch {
            throw .unavailable("request could not be encoded")
        }
        var request = HTTPClientRequest(url: settings.url)
        request.method = .POST
        let target = "AWSCognitoIdentityProviderService.\(operation)"
        for (name, value) in signature.headers(host: hostHeader, target: target, body: payload, date: Date()) {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(bytes: payload))
        let status: HTTPResponseStatus
        let data: ByteBuffer
        do {
            let response = try await client.execute(
                request, timeout: .seconds(Int64(settings.timeout.components.seconds)))
            status = response.status
            data = try await response.body.collect(upTo: 4 << 20)
        } catch {
            throw .unavailable("\(operation): \(type(of: error)) \(error)")
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(buffer: data))) as? [String: Any] ?? [:]
        if status.code >= 500 { throw .unavailable("\(operation) answered \(status.code)") }
        guard status.code < 300 else {
            let type =
                (object["__type"] as? String ?? "status \(status.code)").split(separator: "#").last.map(String.init)
                ?? ""
            let message = object["message"] as? String ?? object["Message"] as? String ?? ""
            // Throttling is Cognito being busy, not a verdict.
            if type == "TooManyRequestsException" || type == "ThrottlingException" || type == "InternalErrorException" {
                throw .unavailable("\(operation): \(type)")
            }
            throw .refused(type: type, message: message)
        }
        return object
    }
}
