import AsyncHTTPClient
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix

/// Answers Ferry gives itself, each with a short body that says what failed and
/// nothing about internals.
enum ProxyError: Error, Equatable {
    case noRoute
    /// The request's Host is missing, repeated or malformed.
    case badHost(String)
    /// The request body's framing is broken (a bad chunk size or extension).
    case malformedBody
    /// A transfer coding other than chunked, which Ferry cannot pass on intact.
    case unsupportedTransferCoding
    /// The upstream's connection pool is full: try again shortly.
    case upstreamBusy(String)
    /// The upstream answered 101 Switching Protocols, which Ferry does not tunnel.
    case upstreamSwitchedProtocols(String)
    case headersTooLarge
    case bodyTooLarge
    case upstreamUnreachable(String)
    case upstreamTimeout(String)
    /// The client disconnected before the upstream answered (nginx's 499).
    case clientClosedRequest
    /// A login body Ferry cannot read; the text names the field, never a value.
    case malformedLogin(String)
    /// The state store is unavailable and `state.on_unavailable = "reject"`.
    case loginUnavailable
    /// The brute-force guard: too many failed logins for this identifier or
    /// client address.
    case tooManyFailures(retryAfter: Int)
    /// A sign-up with an identifier an unmigrated legacy user holds.
    case signupOnLegacy
    /// Legacy could not be asked whether a sign-up's identifier lives there.
    case signupUnavailable

    var status: HTTPResponse.Status {
        switch self {
        case .noRoute: return .notFound
        case .badHost, .malformedBody: return .badRequest
        case .unsupportedTransferCoding: return .notImplemented
        case .upstreamBusy: return .serviceUnavailable
        case .upstreamSwitchedProtocols: return .badGateway
        case .headersTooLarge: return .init(code: 431, reasonPhrase: "Request Header Fields Too Large")
        case .bodyTooLarge: return .contentTooLarge
        case .upstreamUnreachable: return .badGateway
        case .upstreamTimeout: return .gatewayTimeout
        case .clientClosedRequest: return .init(code: 499, reasonPhrase: "Client Closed Request")
        case .malformedLogin: return .badRequest
        case .loginUnavailable: return .serviceUnavailable
        case .tooManyFailures: return .tooManyRequests
        case .signupOnLegacy: return .conflict
        case .signupUnavailable: return .serviceUnavailable
        }
    }

    var message: String {
        switch self {
        case .noRoute: return "no route matches this request\n"
        case .badHost(let reason): return reason + "\n"
        case .malformedBody: return "request body is malformed (bad chunked encoding)\n"
        case .unsupportedTransferCoding:
            return "request uses a transfer coding other than chunked, which is not supported\n"
        case .upstreamBusy(let name): return "upstream \"\(name)\" is busy; try again shortly\n"
        case .upstreamSwitchedProtocols(let name):
            return "upstream \"\(name)\" switched protocols (e.g. WebSocket), which Ferry does not tunnel\n"
        case .headersTooLarge: return "request headers are too large\n"
        case .bodyTooLarge: return "request body is too large\n"
        case .upstreamUnreachable(let name): return "upstream \"\(name)\" is unreachable\n"
        case .upstreamTimeout(let name): return "upstream \"\(name)\" did not answer in time\n"
        case .clientClosedRequest: return "client closed the connection\n"
        case .malformedLogin(let reason): return reason + "\n"
        case .loginUnavailable: return "login is temporarily unavailable; please try again shortly\n"
        case .tooManyFailures(let seconds):
            return "too many failed logins; try again in \(seconds) seconds\n"
        case .signupOnLegacy:
            return "an account with this identifier already exists; log in with your existing password, or reset it\n"
        case .signupUnavailable: return "sign-up is temporarily unavailable; please try again shortly\n"
        }
    }

    /// Metric label for upstream failures.
    var kind: String {
        switch self {
        case .upstreamTimeout: return "timeout"
        case .upstreamBusy: return "busy"
        case .upstreamSwitchedProtocols: return "switched_protocols"
        default: return "unreachable"
        }
    }

    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        if self == .bodyTooLarge || self == .headersTooLarge || self == .malformedBody {
            headers[.connection] = "close"
        }
        if case .tooManyFailures(let seconds) = self { headers[.retryAfter] = String(seconds) }
        if case .upstreamBusy = self { headers[.retryAfter] = "1" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: message)))
    }

    /// Timeouts waiting for the upstream are 504; anything else that kept the
    /// request from completing is 502.
    /// Whether the request never reached the upstream: no connection was
    /// made, so nothing of it was sent and it may go elsewhere unchanged.
    static func neverConnected(_ error: any Error) -> Bool {
        if let client = error as? HTTPClientError { return client == .connectTimeout }
        if let io = error as? IOError { return [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(io.errnoCode) }
        if let channel = error as? ChannelError, case .connectTimeout = channel { return true }
        return error is NIOConnectionError
    }

    static func classify(_ error: any Error, upstream: String) -> ProxyError {
        if let client = error as? HTTPClientError,
            [.deadlineExceeded, .readTimeout, .writeTimeout].contains(client)
        {
            return .upstreamTimeout(upstream)
        }
        // Every pooled connection is in use and none came free in time: the
        // upstream is up, only busy.
        if let client = error as? HTTPClientError, client == .getConnectionFromPoolTimeout {
            return .upstreamBusy(upstream)
        }
        return .upstreamUnreachable(upstream)
    }
}
