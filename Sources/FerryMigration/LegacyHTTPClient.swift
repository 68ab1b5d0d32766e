import AsyncHTTPClient
import NIOCore

/// The HTTP client Ferry asks legacy platforms with (token endpoints, Cognito).
/// It never follows redirects: a 307 or 308 would resend the customer's
/// password to wherever the redirect points. Process-wide and never shut
/// down, like `HTTPClient.shared`, so sources built on reload share it.
enum LegacyHTTPClient {
    static let shared: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(5))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}

extension HTTPClient {
    /// Sends `request` and reads at most `limit` bytes of the answer; a
    /// failure to reach `what`, or an answer too large, is `unavailable`.
    func answer(_ request: HTTPClientRequest, timeout: Duration, limit: Int, what: String)
        async throws(LegacySourceError) -> (status: UInt, body: ByteBuffer)
    {
        do {
            let response = try await execute(request, timeout: .seconds(max(1, Int64(timeout.components.seconds))))
            return (response.status.code, try await response.body.collect(upTo: limit))
        } catch {
            throw .unavailable("\(what) unreachable (\(type(of: error)))")
        }
    }
}
