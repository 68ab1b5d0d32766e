import AsyncHTTPClient
import FerryConfig
import FerryMigration
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization

/// A login route's request: its body read, its credentials judged by the
/// migration engine, and what is sent where.
extension ProxyResponder {
    /// The client's address for the brute-force guard: the last entry of the
    /// configured header (the one the load balancer in front added), else the
    /// connection's peer.
    static func clientAddress(of request: Request, context: ProxyRequestContext, header: String?) -> String? {
        if let header, let name = HTTPField.Name(header) {
            let entries = request.headers[values: name].flatMap { $0.split(separator: ",") }
            if let last = entries.last?.trimmingCharacters(in: .whitespaces), !last.isEmpty { return last }
        }
        return context.remoteAddress?.ipAddress
    }

    /// Reads the login body, asks the migration engine where the login goes, and
    /// says what to send there.
    func interceptLogin(
        _ request: Request, settings: LoginSettings, limit: Int, client: String?, sessionUpstream: String?,
        runtime: ProxyRuntime
    ) async -> Result<LoginStep, LoginRefusal> {
        if let field = LoginBody.credentialInQuery(request.uri.query, settings: settings) {
            return .failure(
                LoginRefusal(
                    response: ProxyError.malformedLogin(
                        "login credentials belong in the body; the query string names `\(field)`"
                    ).response, bytesRead: 0))
        }
        let body: ByteBuffer
        switch await Self.readBody(request, limit: limit) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let buffer): body = buffer
        }
        let bytes = Array(body.readableBytesView)
        let credentials = LoginBody.format(settings.bodyFormat, contentType: request.headers[.contentType]).flatMap {
            LoginBody.credentials(bytes, format: $0, settings: settings)
        }
        let login: LoginCredentials
        switch credentials {
        case .failure(let error) where error.isMissingField && sessionUpstream != nil:
            return .success(.laterStep(body, upstream: sessionUpstream!))
        case .failure(let error) where error.isMissingField && !settings.laterStepFields.isEmpty:
            if let upstream = await laterStepUpstream(bytes, request: request, settings: settings, runtime: runtime) {
                return .success(.laterStep(body, upstream: upstream))
            }
            return .failure(
                LoginRefusal(response: ProxyError.malformedLogin(error.description).response, bytesRead: bytes.count))
        case .failure(let error):
            return .failure(
                LoginRefusal(response: ProxyError.malformedLogin(error.description).response, bytesRead: bytes.count))
        case .success(let value): login = value
        }
        let journey = await runtime.migration.beginLogin(
            identifier: login.identifier, password: login.password, client: client)
        let outcome = journey.outcome
        let migration = runtime.config.migration
        func sending(to upstream: String, _ outbound: OutboundRequest) -> Result<LoginStep, LoginRefusal> {
            .success(
                .judged(
                    InterceptedLogin(
                        journey: journey, upstream: upstream, body: body, outbound: outbound,
                        identifier: login.identifier)))
        }
        switch outcome.destination {
        case .reject:
            return .failure(LoginRefusal(response: ProxyError.loginUnavailable.response, bytesRead: bytes.count))
        case .throttle:
            let refusal = ProxyError.tooManyFailures(retryAfter: outcome.retryAfter ?? 1)
            return .failure(LoginRefusal(response: refusal.response, bytesRead: bytes.count, outcome: outcome))
        case .legacy:
            return sending(to: migration.legacyUpstream, .buffered(body))
        case .new:
            // The new platform is asked about the account Ferry provisioned, not
            // the variant typed: a case-sensitive platform would refuse "ADA" for
            // the "ada" it holds, and the user would be migrated yet locked out.
            var login = login
            var body = body
            if let provisioned = journey.newLogin, provisioned != login.identifier {
                login.identifier = provisioned
                if settings.newPlatformShape == nil,
                    case .success(let format) = LoginBody.format(
                        settings.bodyFormat, contentType: request.headers[.contentType]),
                    let rewritten = LoginBody.replacingIdentifier(
                        bytes, format: format, field: settings.identifierField, with: provisioned)
                {
                    body = ByteBuffer(bytes: rewritten)
                }
            }
            guard let shape = settings.newPlatformShape else {
                return sending(to: migration.newUpstream, .buffered(body))
            }
            let reshaped = LoginBody.reshape(login, to: shape)
            return sending(
                to: migration.newUpstream,
                .reshaped(ByteBuffer(bytes: reshaped.body), contentType: reshaped.contentType, path: shape.path))
        }
    }

    /// Where a later step of a flow on this path goes (`later_step_fields`):
    /// to the platform that issued the value it carries; else to the
    /// platform of the user it names; else to legacy, where every user not
    /// yet migrated is. nil when it carries none of the fields.
    func laterStepUpstream(_ bytes: [UInt8], request: Request, settings: LoginSettings, runtime: ProxyRuntime) async
        -> String?
    {
        guard
            case .success(let format) = LoginBody.format(
                settings.bodyFormat, contentType: request.headers[.contentType]),
            case .success(let values) = LoginBody.values(bytes, format: format, fields: settings.laterStepFields)
        else { return nil }
        for value in values {
            if let issuer = laterSteps.issuer(of: value) { return issuer }
        }
        let migration = runtime.config.migration
        if case .success(let named) = LoginBody.values(bytes, format: format, fields: [settings.identifierField]),
            let identifier = named.first
        {
            return await runtime.migration.platform(forUser: identifier) == .new
                ? migration.newUpstream : migration.legacyUpstream
        }
        return migration.legacyUpstream
    }

    /// Reads a body Ferry must see before deciding where it goes: 413 past
    /// `limit`, 400 when its framing is broken (a bad chunk size), 499 when
    /// the client goes away.
    static func readBody(_ request: Request, limit: Int) async -> Result<ByteBuffer, LoginRefusal> {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            return .failure(LoginRefusal(response: ProxyError.bodyTooLarge.response, bytesRead: 0))
        }
        var body = ByteBuffer()
        do {
            for try await chunk in request.body {
                guard body.readableBytes + chunk.readableBytes <= limit else {
                    return .failure(
                        LoginRefusal(response: ProxyError.bodyTooLarge.response, bytesRead: body.readableBytes))
                }
                var chunk = chunk
                body.writeBuffer(&chunk)
            }
        } catch is HTTPParserError {
            return .failure(LoginRefusal(response: ProxyError.malformedBody.response, bytesRead: body.readableBytes))
        } catch {
            return .failure(
                LoginRefusal(response: ProxyError.clientClosedRequest.response, bytesRead: body.readableBytes))
        }
        return .success(body)
    }
}

/// What a login route's request turned out to be.
enum LoginStep {
    /// Credentials, judged by the migration engine.
    case judged(InterceptedLogin)
    /// No credentials, inside a platform's session: a later step of its flow.
    case laterStep(ByteBuffer, upstream: String)
}

struct InterceptedLogin {
    /// The engine's journey for this login, waiting for the upstream's answer.
    var journey: LoginJourney
    var outcome: LoginOutcome { journey.outcome }
    var upstream: String
    /// The body as the client sent it.
    var body: ByteBuffer
    var outbound: OutboundRequest
    /// As typed: the user of the legacy sessions this login's answer sets.
    var identifier: String
}

struct LoginRefusal: Error {
    var response: Response
    var bytesRead: Int
    var outcome: LoginOutcome?
}
