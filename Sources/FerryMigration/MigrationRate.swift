import FerryConfig
import Foundation
import Synchronization

/// A token bucket: one token per migration, refilled at `rate` per second up to
/// `burst`. Pure; the caller supplies the time and the current limits, so a
/// reload that changes them applies on the next call.
public struct TokenBucket: Equatable, Sendable {
    public private(set) var tokens: Double
    public private(set) var updatedAt: Date

    /// A full bucket.
    public init(burst: Int, at now: Date) {
        tokens = Double(burst)
        updatedAt = now
    }

    public mutating func refill(at now: Date, rate: Double, burst: Int) {
        // A clock that steps backwards refills nothing rather than draining.
        let elapsed = max(0, now.timeIntervalSince(updatedAt))
        tokens = min(Double(burst), tokens + elapsed * rate)
        updatedAt = max(updatedAt, now)
    }

    public func hasToken(at now: Date, rate: Double, burst: Int) -> Bool {
        var copy = self
        copy.refill(at: now, rate: rate, burst: burst)
        return copy.tokens >= 1
    }

    /// Returns a token taken for a migration that did not start.
    public mutating func giveBack(burst: Int) {
        tokens = min(Double(burst), tokens + 1)
    }

    /// Takes one token if there is one.
    public mutating func take(at now: Date, rate: Double, burst: Int) -> Bool {
        refill(at: now, rate: rate, burst: burst)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}

/// The migration rate shared by every config generation: the bucket lives as
/// long as the process, the limits come from the config in force.
///
/// Several instances behind one balancer each take an equal share of the
/// configured rate, so the fleet together migrates at the configured rate:
/// a share rather than one global bucket, because a global bucket would put
/// a database round trip (and a row every instance contends for) in front of
/// every migration, and a balancer spreads logins evenly enough that equal
/// shares are the same budget. The fleet's size comes from the instances'
/// heartbeats in the shared store.
public final class MigrationRateLimiter: Sendable {
    private let bucket = Mutex<TokenBucket?>(nil)
    private let fleet = Mutex(1)

    public init() {}

    /// This instance's share of the fleet's budget: `rate / instances`, and a
    /// burst of `burst / instances`, at least one token.
    public static func share(rate: Double, burst: Int, instances: Int) -> (rate: Double, burst: Int) {
        let count = max(1, instances)
        return (rate / Double(count), max(1, burst / count))
    }

    /// How many instances share the budget (this one included).
    public var fleetSize: Int {
        get { fleet.withLock { $0 } }
        set { fleet.withLock { $0 = max(1, newValue) } }
    }

    /// Gives back a token `take` granted to a login that did not provision.
    public func release(_ settings: MigrationSettings) {
        let (_, burst) = Self.share(rate: settings.ratePerSecond, burst: settings.burst, instances: fleetSize)
        bucket.withLock { bucket in bucket?.giveBack(burst: burst) }
    }

    public func take(_ settings: MigrationSettings, at now: Date) -> Bool {
        let (rate, burst) = Self.share(rate: settings.ratePerSecond, burst: settings.burst, instances: fleetSize)
        return bucket.withLock { bucket in
            var current = bucket ?? TokenBucket(burst: burst, at: now)
            let taken = current.take(at: now, rate: rate, burst: burst)
            bucket = current
            return taken
        }
    }
}
