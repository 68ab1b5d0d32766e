import AsyncHTTPClient

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
