import AsyncHTTPClient
import FerryConfig
import Foundation
import NIOCore
import PasswordHashes

/// POSTs the canonical record as JSON to a URL the new platform's team runs.
///
/// Headers: `Idempotency-Key` (the job's key, the same on every retry) and
/// `Ferry-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(signing key,
/// "<t>." + body)>`; the receiver recomputes it and rejects stale timestamps.
/// Answers: `201 {"id": …}` created; `200 {"id": …}` the same key again;
/// `409 {"id": …, "legacy_id": …}` a user with this identifier exists — ours if
/// `legacy_id` matches, else a conflict.
public struct WebhookTarget: ProvisioningTarget {
    public static let signatureHeader = "Ferry-Signature"
    public var kind: TargetSettings.TargetKind { .webhook }
    let client: HTTPClient
    let url: String
    let signingKey: [UInt8]
    let timeout: Duration

    public init(settings: TargetSettings, client: HTTPClient) throws {
        guard let url = settings.url, let key = settings.signingKey?.value else {
            throw TargetSetupError("a webhook target needs target.url and target.signing_key_file / signing_key_env")
        }
        self.client = client
        self.url = url.description
        signingKey = Array(key.utf8)
        timeout = settings.timeout
    }

    /// The body: `{"event": "user.migrated", "idempotency_key", "new_id", "user": {…}}`
    /// with snake_case keys and RFC 3339 dates.
    public static func body(_ job: ProvisioningJob) -> Data {
        struct Delivery: Encodable {
            var event = "user.migrated"
            var idempotencyKey: String
            var newId: String
            var user: CanonicalIdentity
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return try! encoder.encode(Delivery(idempotencyKey: job.key, newId: job.newID, user: job.identity))
    }

    public static func signature(body: [UInt8], key: [UInt8], timestamp: Int) -> String {
        let mac = DigestAlgorithm.sha256.hmac(key: key, Array("\(timestamp).".utf8) + body)
        return "t=\(timestamp),v1=\(Hex.encode(mac))"
    }

    /// The body of the `ping` event `check-config --connect` sends; receivers
    /// check its signature and answer 2xx without creating anything.
    public static let pingBody = Array(#"{"event":"ping"}"#.utf8)

    func signedRequest(_ body: [UInt8]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(
            name: Self.signatureHeader,
            value: Self.signature(body: body, key: signingKey, timestamp: Int(Date().timeIntervalSince1970)))
        request.body = .bytes(ByteBuffer(bytes: body))
        return request
    }

    public func probe() async -> String? {
        do {
            let response = try await client.execute(
                signedRequest(Self.pingBody), timeout: .nanoseconds(Int64(timeout.nanoseconds)))
            _ = try await response.body.collect(upTo: 1 << 20)
            return ProbeAnswer.problem(status: response.status.code, target: "webhook", call: "a signed ping event")
        } catch {
            return HTTPFailure.describe(error, target: "webhook")
        }
    }

    public func provision(_ job: ProvisioningJob) async -> TargetOutcome {
        var request = signedRequest(Array(Self.body(job)))
        request.headers.add(name: "Idempotency-Key", value: job.key)
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.nanoseconds)))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            let answer = try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any]
            let id = answer?["id"] as? String
            switch response.status.code {
            case 201:
                return id.map { .created(newID: $0) } ?? .rejected("webhook answered 201 without an id")
            case 200:
                return id.map { .alreadyThere(newID: $0) } ?? .rejected("webhook answered 200 without an id")
            case 409:
                if let id, answer?["legacy_id"] as? String == job.identity.legacyID { return .alreadyThere(newID: id) }
                return .conflict("the webhook receiver has a different user with this identifier")
            default:
                return TargetOutcome.forStatus(response.status.code, target: "webhook")
            }
        } catch {
            return .unavailable(HTTPFailure.describe(error, target: "webhook"))
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
