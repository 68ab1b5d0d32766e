import AsyncHTTPClient
import FerryConfig
import Foundation
import Logging
import NIOCore
import Synchronization

/// When to ask legacy's JWKS URL again. Pure, so the table test reads like
/// the policy: at start, when the keys are older than `refresh`, and when a
/// token names a key id the set lacks (a rotation) — but never while a fetch
/// runs, and at most once a minute, so a stream of forged `kid`s cannot turn
/// Ferry into a load generator against legacy.
enum JWKSRefresh {
    static let minimumInterval: TimeInterval = 60

    static func isDue(
        now: Date, fetchedAt: Date?, attemptedAt: Date?, fetching: Bool, tokenKeyUnknown: Bool,
        refresh: TimeInterval
    ) -> Bool {
        if fetching { return false }
        if let attemptedAt, now.timeIntervalSince(attemptedAt) < minimumInterval { return false }
        guard let fetchedAt else { return true }
        return now.timeIntervalSince(fetchedAt) >= refresh || tokenKeyUnknown
    }
}

/// Legacy's token-signing keys read from `sessions.jwks_url`. A failed fetch
/// keeps the keys Ferry has; with none, a token never seen being issued is
/// "unknown" and legacy decides, as without any keys.
public final class LegacyTokenKeyFeed: Sendable {
    struct State {
        var keys: LegacyTokenKeys?
        var fetchedAt: Date?
        var attemptedAt: Date?
        var fetching = false
    }

    let url: String
    /// What logs name: the host only, as a query string may carry a key.
    let host: String
    let refresh: TimeInterval
    let client: HTTPClient
    let logger: Logger
    let clock: @Sendable () -> Date
    private let state = Mutex(State())
    static let maxDocumentSize = 1 << 20

    public init(
        url: EndpointURL, refresh: Duration, client: HTTPClient = .shared, logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.url = url.description
        host = url.host
        self.refresh = Double(refresh.components.seconds)
        self.client = client
        self.logger = logger
        self.clock = clock
    }

    /// The keys to check `token` with, now. Starts a fetch in the background
    /// when one is due; the token is judged with the keys at hand.
    public func keys(for token: String) -> LegacyTokenKeys? {
        let now = clock()
        let (keys, due) = state.withLock { state in
            let due = JWKSRefresh.isDue(
                now: now, fetchedAt: state.fetchedAt, attemptedAt: state.attemptedAt, fetching: state.fetching,
                tokenKeyUnknown: !(state.keys?.holdsKey(for: token) ?? false), refresh: refresh)
            if due { state.fetching = true }
            return (state.keys, due)
        }
        if due { Task { await self.fetchNow(alreadyMarked: true) } }
        return keys
    }

    /// Fetches the document now. Returns nil on success, else what went wrong
    /// (for logs and `check-config --connect`; public keys only, nothing secret).
    @discardableResult
    public func fetch() async -> String? { await fetchNow(alreadyMarked: false) }

    private func fetchNow(alreadyMarked: Bool) async -> String? {
        if !alreadyMarked { state.withLock { $0.fetching = true } }
        let started = clock()
        let outcome = await download()
        state.withLock { state in
            state.fetching = false
            state.attemptedAt = started
            if case .success(let keys) = outcome {
                state.keys = keys
                state.fetchedAt = started
            }
        }
        switch outcome {
        case .success: return nil
        case .failure(let problem):
            logger.warning(
                "legacy token keys could not be fetched; tokens already recorded still count",
                metadata: ["host": "\(host)", "problem": "\(problem.message)"])
            return problem.message
        }
    }

    private func download() async -> Result<LegacyTokenKeys, LegacyTokenKeysError> {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/jwk-set+json, application/json")
        do {
            let response = try await client.execute(request, timeout: .seconds(5))
            guard response.status == .ok else {
                return .failure(LegacyTokenKeysError("answered \(response.status.code)"))
            }
            let body = try await response.body.collect(upTo: Self.maxDocumentSize)
            return Result { () throws(LegacyTokenKeysError) in
                try LegacyTokenKeys(jwks: Data(body.readableBytesView))
            }
        } catch {
            return .failure(LegacyTokenKeysError(HTTPFailure.describe(error, target: "JWKS URL")))
        }
    }
}
