import AsyncHTTPClient
import FerryConfig
import FerryMigration
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization

/// Request context of the public listener: remembers the client's address for
/// X-Forwarded-For and Forwarded.
public struct ProxyRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    let channel: any Channel
    let channelID: ObjectIdentifier
    /// An HTTP/2 stream's channel is a child of its connection's, which is a
    /// child of the listening socket's; an HTTP/1.1 connection is one level up.
    let overHTTP2: Bool

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
        channelID = ObjectIdentifier(source.channel)
        overHTTP2 = source.channel.parent?.parent != nil
    }

    /// Bodies are streamed and limited by Ferry itself.
    public var maxUploadSize: Int { .max }
}

/// The public listener's responder: route, then forward.
struct ProxyResponder: HTTPResponder {
    typealias Context = ProxyRequestContext

    let runtimes: RuntimeStore
    let metrics: ProxyMetrics
    let accessLog: AccessLog
    let scheme: String
    let connectionWatchers: ConnectionWatchers
    /// Who issued the state values of multi-step login flows; kept across reloads.
    let laterSteps: LaterStepIssuers

    func respond(to request: Request, context: ProxyRequestContext) async throws -> Response {
        let runtime = runtimes.runtime
        let started = ContinuousClock.now
        metrics.requestStarted()
        var log = AccessLog.Entry(
            method: request.method.rawValue, path: request.uri.string, status: 0, route: nil, upstream: nil,
            duration: .zero, bytesIn: 0, bytesOut: 0)
        let relay = RelaySlot()
        let response = await serve(request, context: context, runtime: runtime, relay: relay, log: &log)
        log.status = response.status.code
        metrics.request(route: log.route ?? "-", upstream: log.upstream ?? "-", status: log.status)
        let channel = context.channel
        return Self.finishing(response, settle: { await relay.settle(closing: channel) }) {
            [metrics, accessLog, log] bytesOut in
            var entry = log
            entry.bytesOut = bytesOut
            entry.duration = ContinuousClock.now - started
            accessLog.write(entry)
            metrics.requestFinished()
        }
    }

    /// Checks, plans, intercepts where the route says so, forwards, observes.
    private func serve(
        _ request: Request, context: ProxyRequestContext, runtime: ProxyRuntime, relay: RelaySlot,
        log: inout AccessLog.Entry
    )
        async -> Response
    {
        let config = runtime.config
        if let refusal = Self.refusal(of: request, limits: config.server) { return refusal.response }
        let facts = Self.facts(of: request)
        let legacyName = config.migration.legacyUpstream
        // Parsed only for requests whose legacy sessions matter (most carry none).
        func carried() -> [SessionCredential] {
            runtime.router.affinity.credentials(
                of: legacyName, cookies: Self.cookies(of: request), bearer: facts.bearerToken)
        }
        let decision = await Self.decide(facts, runtime: runtime, carried: carried)
        log.route = decision.routeName
        var upstreamName: String
        var outbound = OutboundRequest.original
        var intercepted: InterceptedLogin?
        var laterStepFields: [String] = []
        switch decision {
        case .noRoute:
            return ProxyError.noRoute.response
        case .proxy(_, let upstream, _):
            upstreamName = upstream
        case .login(_, let settings, let sessionUpstream):
            laterStepFields = settings.laterStepFields
            // A login is judged whatever session it carries (a random or
            // pre-login session cookie must not walk around the guard); only a
            // later step of a multi-step flow, which carries no credentials,
            // follows its session.
            let limit = min(config.server.maxBodySize, settings.maxBodySize)
            let client = Self.clientAddress(
                of: request, context: context, header: config.loginGuard.clientAddressHeader)
            switch await interceptLogin(
                request, settings: settings, limit: limit, client: client, sessionUpstream: sessionUpstream,
                runtime: runtime)
            {
            case .failure(let error):
                log.bytesIn = error.bytesRead
                if let outcome = error.outcome { log.login = outcome.label }
                return error.response
            case .success(.laterStep(let body, let upstream)):
                log.bytesIn = body.readableBytes
                upstreamName = upstream
                outbound = .buffered(body)
            case .success(.judged(let login)):
                log.bytesIn = login.body.readableBytes
                log.login = login.outcome.label
                upstreamName = login.upstream
                outbound = login.outbound
                intercepted = login
            }
        case .byUser(_, _, let sessionUpstream?):
            upstreamName = sessionUpstream
        case .byUser(_, let settings, nil), .signup(_, let settings):
            switch await routeByUser(
                request, settings: settings, isSignup: decision.isSignup, runtime: runtime, log: &log)
            {
            case .refused(let response): return response
            case .to(let name, let body): (upstreamName, outbound) = (name, body)
            }
        }
        log.upstream = upstreamName
        guard let upstream = runtime.upstreams[upstreamName] else {
            return ProxyError.upstreamUnreachable(upstreamName).response
        }
        let meter = BodyMeter(limit: config.server.maxBodySize)
        defer { if case .original = outbound { log.bytesIn = meter.bytes } }
        let wait = min(upstream.settings.responseTimeout, config.server.requestTimeout)
        // A login Ferry intercepted is read and sent whole; the platform signs
        // the customer in (or counts the failure) whether or not they stay for
        // the answer, so Ferry waits for it too and settles the login by it.
        let outlivesClient = intercepted != nil
        var (response, neverConnected) = await forward(
            request, outbound, to: upstream, context: context, meter: meter, relay: relay, wait: wait,
            outlivesClient: outlivesClient)
        // A first login whose provisioning succeeded, with the new platform not
        // reachable: legacy has just verified this very password, so the
        // customer logs in there (the user is migrated; later logins go to the
        // new platform once it answers). Only a request that never reached the
        // new platform is sent again, so no login happens twice.
        if neverConnected, let login = intercepted, login.outcome == .new(.justMigrated),
            let legacy = runtime.upstreams[legacyName]
        {
            metrics.newUnreachableFallback()
            context.logger.warning("new platform unreachable; a just-migrated login was sent to legacy")
            upstreamName = legacyName
            log.upstream = legacyName
            log.login = "legacy:new_unreachable"
            response = await forward(
                request, .buffered(login.body), to: legacy, context: context, meter: meter, relay: relay,
                wait: min(legacy.settings.responseTimeout, config.server.requestTimeout), outlivesClient: true
            ).response
        }
        if upstreamName == legacyName {
            await observeLegacySessions(
                in: response, runtime: runtime, user: intercepted?.identifier, carried: carried)
        }
        var answer = LoginAnswer(status: response.status.code)
        if let intercepted {
            let journey = intercepted.journey
            if journey.readsLegacyAnswer && upstreamName == legacyName {
                answer = await Self.readAnswer(
                    &response, body: journey.answerRules.readBody || !laterStepFields.isEmpty, upstream: upstreamName,
                    carried: Self.cookies(of: request))
            }
            if let settled = await runtime.migration.finishLogin(journey, answer: answer) {
                log.login = settled.label
            }
        }
        if !laterStepFields.isEmpty {
            // The state a platform hands out for the next step of the flow.
            if answer.json == nil {
                answer = await Self.readAnswer(&response, body: true, upstream: upstreamName, carried: [])
            }
            for value in LaterStepIssuers.issued(in: answer.json ?? [], fields: laterStepFields) {
                laterSteps.record(value, upstream: upstreamName)
            }
        }
        return response
    }
}
