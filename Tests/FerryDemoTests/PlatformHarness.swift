import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

@testable import FerryDemo

/// A clock tests move by hand, so session expiry is tested without sleeping.
final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var function: @Sendable () -> Date { { self.now } }
}

/// Collects log records so a test can read what a platform printed (the
/// reset token the legacy platform "mails").
final class LogCapture: LogHandler, @unchecked Sendable {
    private let records = Mutex<[(String, Logger.Metadata)]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        records.withLock { $0.append(("\(event.message)", event.metadata ?? [:])) }
    }

    func value(_ key: String) -> String? {
        records.withLock { $0.last { $0.1[key] != nil }?.1[key].map { "\($0)" } }
    }
}

/// One platform's router on an ephemeral loopback port, and a client that
/// does not follow redirects (so tests see the platform's own answers).
final class PlatformServer: Sendable {
    let client: HTTPClient
    private let port = Mutex<Int>(0)
    private let task = Mutex<Task<Void, any Error>?>(nil)

    var base: String { "http://127.0.0.1:\(port.withLock { $0 })" }

    init(router: Router<BasicRequestContext>) async throws {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let ready = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "platform-test")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { ready.continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        task.withLock { $0 = Task { try await app.runService(gracefulShutdownSignals: []) } }
        var iterator = ready.stream.makeAsyncIterator()
        let bound = await iterator.next() ?? 0
        port.withLock { $0 = bound }
    }

    struct Reply {
        var status: Int
        var body: String
        var cookies: [String: String]
        var location: String?
    }

    func send(
        _ method: HTTPMethod, _ path: String, form: [String: String]? = nil, json: Any? = nil,
        cookies: [String: String] = [:], bearer: String? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if !cookies.isEmpty {
            request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let form {
            let body = form.map {
                "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            }.joined(separator: "&")
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: body))
        } else if let json {
            request.headers.add(name: "Content-Type", value: "application/scim+json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        var cookies: [String: String] = [:]
        for header in response.headers["Set-Cookie"] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            cookies[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
        }
        let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return Reply(
            status: Int(response.status.code), body: body, cookies: cookies,
            location: response.headers.first(name: "Location"))
    }

    func stop() async throws {
        try await client.shutdown()
        let running = task.withLock { $0 }
        running?.cancel()
        _ = await running?.result
    }
}

func temporaryDatabase(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ferry-demo-\(name)-\(UUID()).db").path
}
