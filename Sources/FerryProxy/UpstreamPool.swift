import AsyncHTTPClient
import FerryConfig
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One HTTP client per upstream, configured the way a reverse proxy needs:
/// redirects are passed back to the client, never followed; no decompression;
/// a connection pool sized from config.
final class UpstreamClient: Sendable {
    let settings: UpstreamSettings
    let client: HTTPClient
    let ledger: Ledger

    /// How many clients one server has made and not yet shut down: a reload
    /// that is rejected must leave it where it was.
    final class Ledger: Sendable {
        let open = Atomic<Int>(0)
        init() {}
    }

    init(settings: UpstreamSettings, eventLoopGroup: any EventLoopGroup, ledger: Ledger) {
        self.settings = settings
        self.ledger = ledger
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        configuration.httpVersion = .http1Only
        // Ferry does not trace; AHC's per-request span bookkeeping costs CPU on
        // every proxied request (seen in perf under wrk).
        configuration.tracing.tracer = nil
        configuration.timeout = .init(
            connect: settings.connectTimeout.timeAmount, read: settings.responseTimeout.timeAmount)
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: settings.poolSize)
        // A refused connection is a 502 now, not after retrying until connect_timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        if settings.url.scheme == "https" {
            var tls = TLSConfiguration.makeClientConfiguration()
            if !settings.tlsVerify { tls.certificateVerification = .none }
            if let caFile = settings.caFile {
                tls.trustRoots = .file(caFile)
            }
            configuration.tlsConfiguration = tls
        }
        client = HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: configuration)
        ledger.open.add(1, ordering: .relaxed)
    }

    func shutdown() async {
        try? await client.shutdown()
        ledger.open.subtract(1, ordering: .relaxed)
    }
}

extension Duration {
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
