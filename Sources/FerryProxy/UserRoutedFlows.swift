import FerryConfig
import FerryMigration
import HTTPTypes
import Hummingbird
import NIOCore

/// Flows other than login that must follow the user: a password reset goes
/// where the user lives, a sign-up must not create a second account for an
/// identifier still on legacy.
extension ProxyResponder {
    func routeByUser(
        _ request: Request, settings: UserRouteSettings, isSignup: Bool, runtime: ProxyRuntime,
        log: inout AccessLog.Entry
    ) async -> UserRoute {
        let config = runtime.config
        let legacyName = config.migration.legacyUpstream
        let limit = min(config.server.maxBodySize, settings.maxBodySize)
        let body: ByteBuffer
        switch await Self.readBody(request, limit: limit) {
        case .failure(let refusal):
            log.bytesIn = refusal.bytesRead
            return .refused(refusal.response)
        case .success(let buffer): body = buffer
        }
        log.bytesIn = body.readableBytes
        let values = LoginBody.format(settings.bodyFormat, contentType: request.headers[.contentType]).flatMap {
            LoginBody.values(Array(body.readableBytesView), format: $0, fields: settings.identifierFields)
        }
        let identifiers: [String]
        switch values {
        case .failure(let error): return .refused(ProxyError.malformedLogin(error.description).response)
        case .success(let found): identifiers = found
        }
        guard isSignup else {
            let platform = await runtime.migration.platform(forUser: identifiers[0])
            return .to(platform == .new ? config.migration.newUpstream : legacyName, .buffered(body))
        }
        switch await runtime.migration.checkSignup(identifiers: identifiers) {
        case .allowed:
            return .to(config.migration.newUpstream, .buffered(body))
        case .livesOnLegacy where settings.onLegacyIdentifier == .legacy:
            return .to(legacyName, .buffered(body))
        case .livesOnLegacy:
            log.login = "reject:lives_on_legacy"
            return .refused(ProxyError.signupOnLegacy.response)
        case .unknown:
            log.login = "reject:legacy_unavailable"
            return .refused(ProxyError.signupUnavailable.response)
        }
    }
}

/// Where a user-routed flow goes, or the answer that ends it here.
enum UserRoute {
    case to(String, OutboundRequest)
    case refused(Response)
}
