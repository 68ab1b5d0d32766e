import AsyncHTTPClient
import FerryConfig
import Foundation
import NIOCore
import NIOHTTP1

/// SCIM 2.0 (RFC 7643/7644): `POST {url}/Users` with `externalId` = legacy id,
/// core attributes, and Ferry's extension schema for the password hash, MFA
/// factors and consents. A `409` is checked with `GET /Users?filter=externalId
/// eq "…"`: our own user is success, anybody else is a conflict.
public struct SCIMTarget: ProvisioningTarget {
    public static let extensionSchema = "urn:ferry:params:scim:schemas:extension:migration:2.0:User"
    static let coreSchema = "urn:ietf:params:scim:schemas:core:2.0:User"
    static let enterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

    public var kind: TargetSettings.TargetKind { .scim }
    let client: HTTPClient
    let baseURL: String
    let token: String
    let timeout: Duration
    let attributeMappings: [SCIMAttributeMapping]

    public init(settings: TargetSettings, client: HTTPClient) throws {
        guard let url = settings.url, let token = settings.token?.value else {
            throw TargetSetupError("a SCIM target needs target.url and target.token_file / token_env")
        }
        self.client = client
        baseURL = url.description
        self.token = token
        timeout = settings.timeout
        attributeMappings = settings.scimAttributes
    }

    public func provision(_ job: ProvisioningJob) async -> TargetOutcome {
        let body: Data
        do {
            body = try JSONSerialization.data(
                withJSONObject: Self.resource(job.identity, attributes: attributeMappings), options: [.sortedKeys])
        } catch {
            return .rejected("the record cannot be written as JSON")
        }
        let created: (status: UInt, body: [String: Any]?)
        do {
            created = try await send(.POST, baseURL + "/Users", body: body)
        } catch {
            return .unavailable(HTTPFailure.describe(error, target: "SCIM"))
        }
        switch created.status {
        case 200, 201:
            guard let id = created.body?["id"] as? String else { return .rejected("SCIM created a user without an id") }
            return .created(newID: id)
        case 409:
            return await checkOwnership(job.identity.legacyID)
        default:
            return TargetOutcome.forStatus(created.status, target: "SCIM")
        }
    }

    /// `GET /ServiceProviderConfig` (RFC 7644 §4): read-only, and answered by
    /// every SCIM service provider.
    public func probe() async -> String? {
        do {
            let answer = try await send(.GET, baseURL + "/ServiceProviderConfig", body: nil)
            return ProbeAnswer.problem(status: answer.status, target: "SCIM", call: "GET /ServiceProviderConfig")
        } catch {
            return HTTPFailure.describe(error, target: "SCIM")
        }
    }

    /// `GET /Users?filter=ATTRIBUTE eq "VALUE"`, the value a JSON string
    /// (RFC 7644 §3.4.2.2), so that an identifier with quotes or `or` cannot
    /// widen the filter.
    static func filterQuery(_ attribute: String, equals value: String) -> String {
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "filter", value: "\(attribute) eq \"\(escaped)\"")]
        // `+` would read as a space in a query string.
        return (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
    }

    /// By `userName`, then, for an email address, by `emails.value`.
    public func holdsUser(_ identifier: String) async -> Bool? {
        var attributes = ["userName"]
        if identifier.contains("@") { attributes.append("emails.value") }
        for attribute in attributes {
            guard
                let found = try? await send(
                    .GET, baseURL + "/Users?" + Self.filterQuery(attribute, equals: identifier), body: nil),
                found.status == 200
            else { return nil }
            if (found.body?["totalResults"] as? Int ?? 0) > 0 { return true }
        }
        return false
    }

    /// After a 409: is the existing user the one this job created earlier?
    func checkOwnership(_ legacyID: String) async -> TargetOutcome {
        let query = Self.filterQuery("externalId", equals: legacyID)
        do {
            let found = try await send(.GET, baseURL + "/Users?" + query, body: nil)
            guard found.status == 200 else { return TargetOutcome.forStatus(found.status, target: "SCIM lookup") }
            let resources = found.body?["Resources"] as? [[String: Any]] ?? []
            if let mine = resources.first(where: { $0["externalId"] as? String == legacyID }),
                let id = mine["id"] as? String
            {
                return .alreadyThere(newID: id)
            }
            return .conflict("SCIM has a different user with this userName")
        } catch {
            return .unavailable(HTTPFailure.describe(error, target: "SCIM"))
        }
    }

    func send(_ method: HTTPMethod, _ url: String, body: Data?) async throws -> (status: UInt, body: [String: Any]?) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/scim+json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/scim+json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.nanoseconds)))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let object = try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any]
        return (response.status.code, object)
    }

    /// The SCIM User resource for a canonical record.
    static func resource(_ identity: CanonicalIdentity, attributes mappings: [SCIMAttributeMapping] = [])
        -> [String: Any]
    {
        let dates = ISO8601DateFormatter()
        var user: [String: Any] = [
            "schemas": [coreSchema, extensionSchema], "externalId": identity.legacyID,
            "userName": identity.loginName, "active": true,
        ]
        var name: [String: Any] = [:]
        if let given = identity.profile.givenName { name["givenName"] = given }
        if let family = identity.profile.familyName { name["familyName"] = family }
        if !name.isEmpty { user["name"] = name }
        if let locale = identity.profile.locale { user["locale"] = locale }
        if let email = identity.email {
            user["emails"] = [["value": email, "primary": true, "verified": identity.emailVerified]]
        }
        var phones = identity.phone.map { [["value": $0, "type": "mobile"]] } ?? []
        phones += identity.mfa.phones.filter { $0.number != identity.phone }.map {
            ["value": $0.number, "type": "mfa"]
        }
        if !phones.isEmpty { user["phoneNumbers"] = phones }
        if !identity.roles.isEmpty { user["roles"] = identity.roles.map { ["value": $0] } }
        var meta: [String: Any] = [:]
        if let created = identity.metadata.createdAt { meta["created"] = dates.string(from: created) }
        if !meta.isEmpty { user["meta"] = meta }
        user[extensionSchema] =
            [
                "passwordHash": identity.credential.passwordHash,
                "legacyScheme": identity.credential.legacyScheme,
                "mfa": mfa(identity.mfa, dates: dates),
                "attributes": identity.attributes.mapValues { attribute($0, dates: dates) ?? NSNull() },
                "consents": identity.consents.map { consent -> [String: Any] in
                    var entry: [String: Any] = [
                        "purpose": consent.purpose, "granted": consent.granted, "source": consent.source,
                    ]
                    if let client = consent.client { entry["client"] = client }
                    if let version = consent.version { entry["version"] = version }
                    if let at = consent.at { entry["grantedAt"] = dates.string(from: at) }
                    return entry
                },
            ] as [String: Any]
        // Mapped attributes also go where the operator's mapping table puts them.
        for mapping in mappings {
            guard let value = identity.attributes[mapping.attribute].flatMap({ attribute($0, dates: dates) }) else {
                continue
            }
            if let schema = mapping.schema {
                var section = user[schema] as? [String: Any] ?? [:]
                section[mapping.name] = value
                user[schema] = section
                if var schemas = user["schemas"] as? [String], !schemas.contains(schema) {
                    schemas.append(schema)
                    user["schemas"] = schemas
                }
            } else {
                user[mapping.name] = value
            }
        }
        return user
    }

    /// A carried attribute as a JSON value; nil for null.
    static func attribute(_ value: AttributeValue, dates: ISO8601DateFormatter) -> Any? {
        switch value {
        case .text(let text): return text
        case .integer(let number): return number
        case .number(let number): return number
        case .boolean(let flag): return flag
        case .date(let date): return dates.string(from: date)
        case .null: return nil
        }
    }

    /// Every factor with its state, as the extension's `mfa` attribute. Keys
    /// absent when legacy did not say (a null would read as "none").
    static func mfa(_ mfa: CanonicalIdentity.MFA, dates: ISO8601DateFormatter) -> [String: Any] {
        func compact(_ entries: [String: Any?]) -> [String: Any] { entries.compactMapValues { $0 } }
        return [
            "totp": mfa.totp.map {
                compact([
                    "secret": $0.secret, "digits": $0.digits, "period": $0.period, "algorithm": $0.algorithm,
                    "label": $0.label, "confirmed": $0.confirmed, "lastUsedStep": $0.lastUsedStep, "drift": $0.drift,
                    "t0": $0.t0, "window": $0.window, "created": $0.createdAt.map(dates.string),
                    "lastUsed": $0.lastUsedAt.map(dates.string),
                ])
            },
            "hotp": mfa.hotp.map {
                compact([
                    "secret": $0.secret, "counter": $0.counter, "digits": $0.digits, "algorithm": $0.algorithm,
                    "label": $0.label, "confirmed": $0.confirmed, "window": $0.window,
                    "created": $0.createdAt.map(dates.string), "lastUsed": $0.lastUsedAt.map(dates.string),
                ])
            },
            "recoveryCodes": mfa.recoveryCodes.map {
                compact(["value": $0.code, "used": $0.used, "usedAt": $0.usedAt.map(dates.string)])
            },
            "webauthn": mfa.webauthn.map {
                compact([
                    "credentialId": $0.credentialID, "publicKey": $0.publicKey, "signCount": $0.signCount,
                    "transports": $0.transports, "aaguid": $0.aaguid, "label": $0.label,
                    "backupEligible": $0.backupEligible, "backedUp": $0.backedUp,
                    "created": $0.createdAt.map(dates.string), "lastUsed": $0.lastUsedAt.map(dates.string),
                ])
            },
            "phones": mfa.phones.map { compact(["value": $0.number, "verified": $0.verified, "label": $0.label]) },
            "reenrollRequired": mfa.reenrollRequired,
        ]
    }
}

/// Names an HTTP failure without echoing URLs, headers or bodies.
enum HTTPFailure {
    static func describe(_ error: Error, target: String) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "\(target): connect timed out"
            case .deadlineExceeded, .readTimeout: return "\(target): timed out"
            case .remoteConnectionClosed: return "\(target): connection closed"
            default: return "\(target): \(error.shortDescription)"
            }
        }
        if let error = error as? IOError {
            // errno only: NIO's description can carry the address.
            return error.errnoCode == ECONNREFUSED
                ? "\(target): connection refused" : "\(target): \(String(cString: strerror(error.errnoCode)))"
        }
        if "\(type(of: error))".contains("Connect") {
            return "\(target): connection refused"
        }
        return "\(target): \(type(of: error))"
    }
}
