import Crypto
import FerryConfig
import FerryStore
import Foundation
import Synchronization

/// Failed logins of one key (an identifier or a client address) inside a
/// sliding window. Keeps only the newest `limit` times: that is all the
/// decision needs.
public struct FailureWindow: Equatable, Sendable {
    public private(set) var times: [Date] = []

    public init() {}

    /// Keeps the times in order: failures counted on other instances arrive
    /// a moment late, between local ones.
    public mutating func record(at time: Date, limit: Int) {
        let index = times.lastIndex { $0 <= time }.map { $0 + 1 } ?? 0
        times.insert(time, at: index)
        if times.count > limit { times.removeFirst(times.count - limit) }
    }

    /// Takes back the failure recorded at `time` (legacy disagreed with it).
    public mutating func withdraw(at time: Date) {
        if let index = times.lastIndex(of: time) { times.remove(at: index) }
    }

    /// When the key may try again, or nil when it is under the limit now.
    public func blockedUntil(at now: Date, window: Duration, limit: Int) -> Date? {
        guard times.count >= limit else { return nil }
        let oldestCounted = times[times.count - limit]
        let until = oldestCounted.addingTimeInterval(MigrationEngine.seconds(window))
        return until > now ? until : nil
    }

    func isStale(at now: Date, window: Duration) -> Bool {
        guard let last = times.last else { return true }
        return last.addingTimeInterval(MigrationEngine.seconds(window)) <= now
    }
}

/// The guard's answer for one login.
public enum GuardVerdict: Equatable, Sendable {
    case allowed
    /// Over the limit for `scope` (`identifier` or `client`); retry after this
    /// many whole seconds.
    case blocked(scope: String, retryAfter: Int)
}

/// Brute-force guard in front of the legacy verifier. The counters live as long
/// as the process (a reload keeps them); limits come from the config in force.
/// Keys are SHA-256 digests of the identifier or address, so the events shared
/// with the other instances (`GuardSync`) carry no identifier.
public final class LoginGuard: Sendable {
    private struct Counters {
        var identifiers: [String: FailureWindow] = [:]
        var clients: [String: FailureWindow] = [:]
    }

    private let counters = Mutex(Counters())
    /// Events not yet shared with the other instances (origin filled in when
    /// they are); bounded, oldest dropped, should the store be away long.
    private let unshared = Mutex<[GuardEvent]>([])
    static let maxUnshared = 50_000
    /// Bounds memory under a spray of distinct identifiers or addresses.
    let maxKeys: Int

    public init(maxKeys: Int = 200_000) {
        self.maxKeys = maxKeys
    }

    public func check(identifier: String, client: String?, settings: LoginGuardSettings, at now: Date)
        -> GuardVerdict
    {
        guard settings.enabled else { return .allowed }
        let (identifier, client) = (Self.digest(identifier), client.map(Self.digest))
        return counters.withLock { counters in
            if let until = counters.identifiers[identifier]?.blockedUntil(
                at: now, window: settings.identifierWindow, limit: settings.identifierFailures)
            {
                return .blocked(scope: "identifier", retryAfter: Self.wholeSeconds(until.timeIntervalSince(now)))
            }
            if let client,
                let until = counters.clients[client]?.blockedUntil(
                    at: now, window: settings.clientWindow, limit: settings.clientFailures)
            {
                return .blocked(scope: "client", retryAfter: Self.wholeSeconds(until.timeIntervalSince(now)))
            }
            return .allowed
        }
    }

    public func recordFailure(identifier: String, client: String?, settings: LoginGuardSettings, at now: Date) {
        guard settings.enabled else { return }
        let (identifier, client) = (Self.digest(identifier), client.map(Self.digest))
        share([GuardEvent(scope: .identifier, key: identifier, kind: .failure, at: now, origin: "")])
        if let client { share([GuardEvent(scope: .client, key: client, kind: .failure, at: now, origin: "")]) }
        count(identifier: identifier, client: client, settings: settings, at: now)
    }

    private func count(identifier: String, client: String?, settings: LoginGuardSettings, at now: Date) {
        counters.withLock { counters in
            counters.identifiers[identifier, default: FailureWindow()].record(
                at: now, limit: settings.identifierFailures)
            Self.bound(&counters.identifiers, maxKeys: maxKeys, window: settings.identifierWindow, at: now)
            if let client {
                counters.clients[client, default: FailureWindow()].record(at: now, limit: settings.clientFailures)
                Self.bound(&counters.clients, maxKeys: maxKeys, window: settings.clientWindow, at: now)
            }
        }
    }

    /// How many identifiers and client addresses are counted now.
    var keyCounts: (identifiers: Int, clients: Int) {
        counters.withLock { ($0.identifiers.count, $0.clients.count) }
    }

    /// Takes back a failure counted at `time`: legacy accepted the login Ferry
    /// judged wrong, so it was no guess.
    public func withdrawFailure(identifier: String, client: String?, at time: Date) {
        let (identifier, client) = (Self.digest(identifier), client.map(Self.digest))
        counters.withLock { counters in
            counters.identifiers[identifier]?.withdraw(at: time)
            if let client { counters.clients[client]?.withdraw(at: time) }
        }
    }

    /// A right password clears the identifier's failures (not the client's: one
    /// address guessing many accounts stays counted).
    public func recordSuccess(identifier: String) {
        let identifier = Self.digest(identifier)
        share([GuardEvent(scope: .identifier, key: identifier, kind: .clear, at: Date(), origin: "")])
        _ = counters.withLock { $0.identifiers.removeValue(forKey: identifier) }
    }

    static func digest(_ key: String) -> String {
        SHA256.hash(data: Array(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    private func share(_ events: [GuardEvent]) {
        unshared.withLock { pending in
            pending += events
            if pending.count > Self.maxUnshared { pending.removeFirst(pending.count - Self.maxUnshared) }
        }
    }

    /// Events counted here since the last call, to share with the others.
    func takeUnshared() -> [GuardEvent] {
        unshared.withLock { pending in
            defer { pending = [] }
            return pending
        }
    }

    /// Puts back events that could not be shared, ahead of newer ones.
    func returnUnshared(_ events: [GuardEvent]) {
        unshared.withLock { pending in
            pending = events + pending
            if pending.count > Self.maxUnshared { pending.removeFirst(pending.count - Self.maxUnshared) }
        }
    }

    /// Counts events from the other instances as if they happened here.
    func merge(_ events: [GuardEvent], settings: LoginGuardSettings) {
        guard settings.enabled else { return }
        for event in events {
            switch (event.kind, event.scope) {
            case (.clear, .identifier): _ = counters.withLock { $0.identifiers.removeValue(forKey: event.key) }
            case (.clear, .client): break
            case (.failure, .identifier): count(identifier: event.key, client: nil, settings: settings, at: event.at)
            case (.failure, .client):
                counters.withLock { counters in
                    counters.clients[event.key, default: FailureWindow()].record(
                        at: event.at, limit: settings.clientFailures)
                    Self.bound(&counters.clients, maxKeys: maxKeys, window: settings.clientWindow, at: event.at)
                }
            }
        }
    }

    private static func bound(_ windows: inout [String: FailureWindow], maxKeys: Int, window: Duration, at now: Date) {
        guard windows.count > maxKeys else { return }
        windows = windows.filter { !$0.value.isStale(at: now, window: window) }
        guard windows.count > maxKeys else { return }
        // Still over: forget the keys whose last failure is oldest.
        let keep = windows.sorted { ($0.value.times.last ?? .distantPast) > ($1.value.times.last ?? .distantPast) }
            .prefix(maxKeys / 2)
        windows = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
    }

    static func wholeSeconds(_ interval: TimeInterval) -> Int { max(1, Int(interval.rounded(.up))) }
}

/// The hash verified for an unknown identifier before any real one has been
/// seen: a bcrypt of a random password nobody knows (cost 10, a common legacy
/// cost). Not a secret.
enum HashDecoy {
    static let fallback = "$2b$10$fpHUtSer69hs.JoCDQHpoe04mRMkCgy6YHHe/L1DxofDftaxpr7t."
}
