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

    private func serve(
        _ request: Request, context: ProxyRequestContext, runtime: ProxyRuntime, relay: RelaySlot,
        log: inout AccessLog.Entry
    )
        async -> Response
    {
        let config = runtime.config
        let headBytes = request.headers.reduce(request.uri.string.utf8.count) {
            $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 4
        }
        if headBytes > config.server.maxHeaderSize {
            return ProxyError.headersTooLarge.response
        }
        if let problem = HostHeader.problem(
            authority: request.head.authority, repeatedHosts: request.headers[values: Self.hostField].count)
        {
            return ProxyError.badHost(problem).response
        }
        if !TransferCoding.isChunkedOnly(request.headers[values: .transferEncoding]) {
            return ProxyError.unsupportedTransferCoding.response
        }
        let facts = Self.facts(of: request)
        var decision = runtime.router.decide(facts)
        let legacyName = config.migration.legacyUpstream
        // Parsed only for requests whose legacy sessions matter (most carry none).
        func carried() -> [SessionCredential] {
            runtime.router.affinity.credentials(
                of: legacyName, cookies: Self.cookies(of: request), bearer: facts.bearerToken)
        }
        if decision.sessionUpstream == legacyName, let sessions = runtime.sessions, case let credentials = carried(),
            !credentials.isEmpty,
            await StoreExecutor.run({ credentials.allSatisfy { sessions.verdict(for: $0) == .ended } })
        {
            // Every legacy session it carries is over: it no longer pins the
            // request to legacy; the route (or a new-platform session) decides.
            decision = runtime.router.decide(runtime.router.affinity.removingSessions(of: legacyName, from: facts))
        }
        log.route = decision.routeName
        let upstreamName: String
        var outbound = OutboundRequest.original
        var intercepted: InterceptedLogin?
        switch decision {
        case .noRoute:
            return ProxyError.noRoute.response
        case .proxy(_, let upstream, _):
            upstreamName = upstream
        case .login(_, let settings, let sessionUpstream):
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
            let limit = min(config.server.maxBodySize, settings.maxBodySize)
            let body: ByteBuffer
            switch await Self.readBody(request, limit: limit) {
            case .failure(let refusal):
                log.bytesIn = refusal.bytesRead
                return refusal.response
            case .success(let buffer): body = buffer
            }
            log.bytesIn = body.readableBytes
            let values = LoginBody.format(settings.bodyFormat, contentType: request.headers[.contentType]).flatMap {
                LoginBody.values(Array(body.readableBytesView), format: $0, fields: settings.identifierFields)
            }
            let identifiers: [String]
            switch values {
            case .failure(let error): return ProxyError.malformedLogin(error.description).response
            case .success(let found): identifiers = found
            }
            outbound = .buffered(body)
            if case .signup = decision {
                switch await StoreExecutor.run({ runtime.migration.checkSignup(identifiers: identifiers) }) {
                case .allowed:
                    upstreamName = config.migration.newUpstream
                case .livesOnLegacy where settings.onLegacyIdentifier == .legacy:
                    upstreamName = legacyName
                case .livesOnLegacy:
                    log.login = "reject:lives_on_legacy"
                    return ProxyError.signupOnLegacy.response
                case .unknown:
                    log.login = "reject:legacy_unavailable"
                    return ProxyError.signupUnavailable.response
                }
            } else {
                let platform = await StoreExecutor.run { runtime.migration.platform(forUser: identifiers[0]) }
                upstreamName = platform == .new ? config.migration.newUpstream : legacyName
            }
        }
        log.upstream = upstreamName
        guard let upstream = runtime.upstreams[upstreamName] else {
            return ProxyError.upstreamUnreachable(upstreamName).response
        }
        let meter = BodyMeter(limit: config.server.maxBodySize)
        defer { if case .original = outbound { log.bytesIn = meter.bytes } }
        let wait = min(upstream.settings.responseTimeout, config.server.requestTimeout)
        let response = await forward(
            request, outbound, to: upstream, context: context, meter: meter, relay: relay, wait: wait)
        if upstreamName == legacyName, let sessions = runtime.sessions {
            // Sessions legacy issues (or clears) through Ferry: their end is
            // what the drain report counts down to.
            let names = runtime.router.affinity.sessionCookies(of: legacyName)
            let issued = response.headers[values: .setCookie].compactMap { SetCookie.parse($0, now: sessions.now) }
                .filter { names.contains($0.name) }
            if !issued.isEmpty {
                let user = intercepted.map { runtime.migration.normalize($0.identifier) }
                let credentials = carried()
                await StoreExecutor.run {
                    for cookie in issued {
                        sessions.issued(
                            name: cookie.name, value: cookie.value, expiresAt: cookie.expiresAt, identifier: user,
                            carried: credentials)
                    }
                }
            }
        }
        if let intercepted {
            runtime.migration.finishLogin(intercepted.journey, status: response.status.code)
        }
        return response
    }

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
    private func interceptLogin(
        _ request: Request, settings: LoginSettings, limit: Int, client: String?, sessionUpstream: String?,
        runtime: ProxyRuntime
    ) async -> Result<LoginStep, LoginRefusal> {
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
        case .failure(let error):
            return .failure(
                LoginRefusal(response: ProxyError.malformedLogin(error.description).response, bytesRead: bytes.count))
        case .success(let value): login = value
        }
        let journey = await StoreExecutor.run {
            await runtime.migration.beginLogin(identifier: login.identifier, password: login.password, client: client)
        }
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
            guard let shape = settings.newPlatformShape else {
                return sending(to: migration.newUpstream, .buffered(body))
            }
            let reshaped = LoginBody.reshape(login, to: shape)
            return sending(
                to: migration.newUpstream,
                .reshaped(ByteBuffer(bytes: reshaped.body), contentType: reshaped.contentType, path: shape.path))
        }
    }

    /// Reads a body Ferry must see before deciding where it goes: 413 past
    /// `limit`, 499 when the client goes away.
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
        } catch {
            return .failure(
                LoginRefusal(response: ProxyError.clientClosedRequest.response, bytesRead: body.readableBytes))
        }
        return .success(body)
    }

    private func forward(
        _ request: Request, _ body: OutboundRequest, to upstream: UpstreamClient, context: ProxyRequestContext,
        meter: BodyMeter, relay: RelaySlot, wait: Duration
    ) async -> Response {
        let settings = upstream.settings
        if let length = request.headers[.contentLength].flatMap(Int.init), length > meter.limit {
            return ProxyError.bodyTooLarge.response
        }
        var target = request.uri.string
        if case .reshaped(_, _, let path?) = body {
            // The new platform's login path; the query string stays.
            target = path + (request.uri.query.map { "?" + $0 } ?? "")
        }
        var outbound = HTTPClientRequest(url: settings.url.originString + settings.url.basePath + target)
        outbound.method = .init(rawValue: request.method.rawValue)
        let host = request.head.authority
        var fields = ForwardedHeaders.removingHopByHop(request.headers)
        fields = ForwardedHeaders.addingForwarded(
            fields, clientAddress: context.remoteAddress?.ipAddress, scheme: scheme, host: host)
        var headers = HTTPHeaders()
        switch settings.hostHeader {
        case .preserve: if let host { headers.add(name: "Host", value: host) }
        case .rewrite: headers.add(name: "Host", value: settings.url.hostHeader)
        }
        switch body {
        case .original:
            for field in fields { headers.add(name: field.name.rawName, value: field.value) }
            if let length = request.headers[.contentLength].flatMap(Int.init) {
                let stream = relay.start(RequestBodyRelay(request.body, meter: meter))
                outbound.body = .stream(stream.upstreamBody, length: .known(Int64(length)))
            } else if request.headers[.transferEncoding] != nil {
                let stream = relay.start(RequestBodyRelay(request.body, meter: meter))
                outbound.body = .stream(stream.upstreamBody, length: .unknown)
            } else if context.overHTTP2 {
                // HTTP/2 ends a body with its stream, so it may come without a
                // length; the HTTP/1.1 upstream needs one. Read whole, within the limit.
                switch await Self.readBody(request, limit: meter.limit) {
                case .failure(let refusal):
                    _ = meter.add(refusal.bytesRead)
                    return refusal.response
                case .success(let buffer):
                    _ = meter.add(buffer.readableBytes)
                    if buffer.readableBytes > 0 { outbound.body = .bytes(buffer) }
                }
            }
        case .buffered(let buffer):
            // The login body was read to decide; it goes on exactly as it came.
            for field in fields where field.name != .contentLength && field.name != .transferEncoding {
                headers.add(name: field.name.rawName, value: field.value)
            }
            outbound.body = .bytes(buffer)
        case .reshaped(let buffer, let contentType, _):
            for field in fields
            where field.name != .contentLength && field.name != .transferEncoding && field.name != .contentType {
                headers.add(name: field.name.rawName, value: field.value)
            }
            headers.add(name: "Content-Type", value: contentType)
            outbound.body = .bytes(buffer)
        }
        outbound.headers = headers

        let sent = ContinuousClock.now
        let response: HTTPClientResponse
        do {
            let client = upstream.client
            // Its own task, so that either the client going away (the watcher) or
            // this handler being cancelled can cancel the upstream call.
            let call = Task { try await client.execute(outbound, deadline: .now() + wait.timeAmount) }
            let watcher = connectionWatchers.watcher(for: context.channelID)
            response = try await withTaskCancellationHandler {
                guard let watcher else { return try await call.value }
                return try await watcher.whileWaiting(cancel: { call.cancel() }) { try await call.value }
            } onCancel: {
                call.cancel()
            }
        } catch {
            if meter.exceeded { return ProxyError.bodyTooLarge.response }
            // The client's framing broke (a bad chunk size): its fault, not the upstream's.
            if relay.readFailure is HTTPParserError { return ProxyError.malformedBody.response }
            if (error as? HTTPClientError) == .cancelled || error is CancellationError {
                // The client went away and the upstream call was cancelled; nobody
                // reads this answer, but the access log and metrics record it.
                return ProxyError.clientClosedRequest.response
            }
            let failure = ProxyError.classify(error, upstream: settings.name)
            metrics.upstreamFailure(upstream: settings.name, kind: failure.kind)
            return failure.response
        }
        metrics.upstreamLatency(upstream: settings.name, duration: ContinuousClock.now - sent)
        if response.status.code == 101 {
            // Relayed, the client would believe the connection switched while it
            // stays HTTP; Ferry does not tunnel upgrades.
            let refusal = ProxyError.upstreamSwitchedProtocols(settings.name)
            metrics.upstreamFailure(upstream: settings.name, kind: refusal.kind)
            return refusal.response
        }

        var responseFields = HTTPFields()
        for header in response.headers {
            guard let name = HTTPField.Name(header.name) else { continue }
            responseFields.append(HTTPField(name: name, value: header.value))
        }
        responseFields = ForwardedHeaders.removingHopByHop(responseFields)
        let status = HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase)
        return Response(status: status, headers: responseFields, body: ResponseBody(asyncSequence: response.body))
    }

    /// A Host header after the first (the first became the authority).
    static let hostField = HTTPField.Name("Host")!

    /// The request's cookies as name and value pairs.
    static func cookies(of request: Request) -> [(name: String, value: String)] {
        var cookies: [(name: String, value: String)] = []
        for value in request.headers[values: .cookie] {
            for pair in value.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard let name = parts.first.map({ $0.trimmingCharacters(in: .whitespaces) }), !name.isEmpty else {
                    continue
                }
                cookies.append((name, parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""))
            }
        }
        return cookies
    }

    static func facts(of request: Request) -> RequestFacts {
        let cookies = Set(Self.cookies(of: request).map(\.name))
        var bearer: String?
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") {
            bearer = String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        var host = request.head.authority?.lowercased()
        if let authority = host, let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            host = String(authority[..<colon])
        }
        return RequestFacts(
            method: request.method.rawValue, path: request.uri.path, host: host,
            headerNames: Set(request.headers.map { $0.name.canonicalName }), cookieNames: cookies,
            bearerToken: bearer)
    }

    /// Wraps the response body so `done` runs with the bytes sent once the body
    /// has been written or abandoned, after `settle` has stopped any reading of
    /// the request body (Hummingbird reads on once the body is written).
    static func finishing(
        _ response: Response, settle: @escaping @Sendable () async -> Void, done: @escaping @Sendable (Int) -> Void
    ) -> Response {
        var response = response
        let counter = ResponseCounter(done: done)
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            do {
                try await body.write(CountingWriter(base: writer, counter: counter))
            } catch {
                await settle()
                counter.finish()
                throw error
            }
            await settle()
            counter.finish()
        }
        return response
    }
}

/// The request's body relay, once forwarding streams the body; the response
/// settles it.
final class RelaySlot: Sendable {
    private let relay = Mutex<RequestBodyRelay?>(nil)

    func start(_ started: RequestBodyRelay) -> RequestBodyRelay {
        relay.withLock { $0 = started }
        return started
    }

    /// Why the client's body could not be read, when it could not.
    var readFailure: (any Error)? { relay.withLock { $0 }?.readFailure }

    func settle(closing channel: any Channel) async {
        guard let relay = relay.withLock({ $0 }) else { return }
        await relay.settle(closing: channel)
    }
}

/// What is sent upstream: the client's request streamed through, or a login
/// whose body Ferry has already read (as it came, or reshaped for the new
/// platform).
enum OutboundRequest {
    case original
    case buffered(ByteBuffer)
    case reshaped(ByteBuffer, contentType: String, path: String?)
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

/// Counts request-body bytes and stops the stream past the limit.
final class BodyMeter: Sendable {
    let limit: Int
    private let state = Mutex((bytes: 0, exceeded: false))

    init(limit: Int) { self.limit = limit }

    var bytes: Int { state.withLock { $0.bytes } }
    var exceeded: Bool { state.withLock { $0.exceeded } }

    /// Adds `count` bytes; false once over the limit.
    func add(_ count: Int) -> Bool {
        state.withLock {
            $0.bytes += count
            if $0.bytes > limit { $0.exceeded = true }
            return !$0.exceeded
        }
    }
}

struct BodyTooLarge: Error {}

/// Reports bytes written exactly once, also when the client went away mid-body.
final class ResponseCounter: Sendable {
    private let state = Mutex((bytes: 0, reported: false))
    private let done: @Sendable (Int) -> Void

    init(done: @escaping @Sendable (Int) -> Void) { self.done = done }

    func add(_ count: Int) { state.withLock { $0.bytes += count } }

    func finish() {
        let bytes: Int? = state.withLock {
            if $0.reported { return nil }
            $0.reported = true
            return $0.bytes
        }
        if let bytes { done(bytes) }
    }

    deinit { finish() }
}

struct CountingWriter: ResponseBodyWriter {
    var base: any ResponseBodyWriter
    let counter: ResponseCounter

    mutating func write(_ buffer: ByteBuffer) async throws {
        counter.add(buffer.readableBytes)
        try await base.write(buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await base.finish(trailingHeaders)
    }
}

extension EndpointURL {
    /// `scheme://host:port` for building upstream URLs.
    var originString: String { "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// The Host header that names this upstream.
    var hostHeader: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return (scheme == "https" && port == 443) || (scheme == "http" && port == 80)
            ? shownHost : "\(shownHost):\(port)"
    }
}
