import FerryConfig
import FerryMigration
import HTTPTypes
import Hummingbird
import NIOCore

/// Before anything is read or forwarded: whether the request is acceptable at
/// all, and which route and upstream it takes.
extension ProxyResponder {
    /// The refusal a request's head earns before routing, as nginx answers: a
    /// head over the limit, a missing, repeated or malformed Host, a transfer
    /// coding other than chunked. Pure.
    static func refusal(of request: Request, limits: ServerSettings) -> ProxyError? {
        // The Host header travels as the head's authority, not among its
        // fields; it counts as the field it was ("Host: " and CRLF).
        let hostBytes = request.head.authority.map { $0.utf8.count + 8 } ?? 0
        let headBytes = request.headers.reduce(request.uri.string.utf8.count + hostBytes) {
            $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 4
        }
        if headBytes > limits.maxHeaderSize { return .headersTooLarge }
        if let problem = HostHeader.problem(
            authority: request.head.authority, repeatedHosts: request.headers[values: Self.hostField].count)
        {
            return .badHost(problem)
        }
        if !TransferCoding.isChunkedOnly(request.headers[values: .transferEncoding]) {
            return .unsupportedTransferCoding
        }
        return nil
    }

    /// The route table's decision, unless every legacy session the request
    /// carries is over: then it no longer pins the request to legacy and the
    /// route (or a new-platform session) decides.
    static func decide(
        _ facts: RequestFacts, runtime: ProxyRuntime, carried: () -> [SessionCredential]
    ) async -> RouteDecision {
        let decision = runtime.router.decide(facts)
        let legacyName = runtime.config.migration.legacyUpstream
        guard decision.sessionUpstream == legacyName, let sessions = runtime.sessions else { return decision }
        let credentials = carried()
        guard !credentials.isEmpty else { return decision }
        for credential in credentials where await sessions.verdict(for: credential) != .ended { return decision }
        return runtime.router.decide(runtime.router.affinity.removingSessions(of: legacyName, from: facts))
    }
}
