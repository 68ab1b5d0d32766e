import AsyncHTTPClient
import FerryConfig
import FerryMigration
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization

/// Sending a request to its upstream and relaying the answer.
extension ProxyResponder {
    /// The answer, and whether the upstream was never connected to (nothing
    /// of the request was sent, so it may go elsewhere unchanged).
    func forward(
        _ request: Request, _ body: OutboundRequest, to upstream: UpstreamClient, context: ProxyRequestContext,
        meter: BodyMeter, relay: RelaySlot, wait: Duration, outlivesClient: Bool = false
    ) async -> (response: Response, neverConnected: Bool) {
        let settings = upstream.settings
        if let length = request.headers[.contentLength].flatMap(Int.init), length > meter.limit {
            return (ProxyError.bodyTooLarge.response, false)
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
                    return (refusal.response, false)
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
        guard
            UpstreamHead.size(
                method: outbound.method.rawValue, target: settings.url.basePath + target, headers: headers)
                <= UpstreamHead.limit
        else {
            return (ProxyError.headersTooLarge.response, false)
        }

        let sent = ContinuousClock.now
        let response: HTTPClientResponse
        do {
            let client = upstream.client
            // Its own task, so that either the client going away (the watcher) or
            // this handler being cancelled can cancel the upstream call. A call
            // whose answer Ferry needs whether or not the client stays (a login,
            // already sent whole) ends only by its deadline or by cancellation.
            let call = Task { try await client.execute(outbound, deadline: .now() + wait.timeAmount) }
            let watcher = outlivesClient ? nil : connectionWatchers.watcher(for: context.channelID)
            response = try await withTaskCancellationHandler {
                guard let watcher else { return try await call.value }
                return try await watcher.whileWaiting(cancel: { call.cancel() }) { try await call.value }
            } onCancel: {
                call.cancel()
            }
        } catch {
            if meter.exceeded { return (ProxyError.bodyTooLarge.response, false) }
            // The client's framing broke (a bad chunk size): its fault, not the upstream's.
            if relay.readFailure is HTTPParserError { return (ProxyError.malformedBody.response, false) }
            if (error as? HTTPClientError) == .cancelled || error is CancellationError {
                // The client went away and the upstream call was cancelled; nobody
                // reads this answer, but the access log and metrics record it.
                return (ProxyError.clientClosedRequest.response, false)
            }
            let failure = ProxyError.classify(error, upstream: settings.name)
            metrics.upstreamFailure(upstream: settings.name, kind: failure.kind)
            return (failure.response, ProxyError.neverConnected(error))
        }
        metrics.upstreamLatency(upstream: settings.name, duration: ContinuousClock.now - sent)
        if response.status.code == 101 {
            // Relayed, the client would believe the connection switched while it
            // stays HTTP; Ferry does not tunnel upgrades.
            let refusal = ProxyError.upstreamSwitchedProtocols(settings.name)
            metrics.upstreamFailure(upstream: settings.name, kind: refusal.kind)
            return (refusal.response, false)
        }

        var responseFields = HTTPFields()
        for header in response.headers {
            guard let name = HTTPField.Name(header.name) else { continue }
            responseFields.append(HTTPField(name: name, value: header.value))
        }
        responseFields = ForwardedHeaders.removingHopByHop(responseFields)
        let status = HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase)
        return (
            Response(status: status, headers: responseFields, body: ResponseBody(asyncSequence: response.body)), false
        )
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
