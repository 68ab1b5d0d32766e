import FerryStore
import Foundation
import Synchronization

/// Counts logins by destination and reason per hour, in memory, and writes
/// them to the state store in batches so a login costs no extra write.
public final class LoginTally: Sendable {
    private let pending = Mutex<[LoginTallyKey: Int]>([:])

    public init() {}

    func add(_ outcome: LoginOutcome, at now: Date) {
        let key = LoginTallyKey(at: now, destination: outcome.destination.rawValue, reason: outcome.reason.label)
        pending.withLock { $0[key, default: 0] += 1 }
    }

    /// Writes what has been counted; on failure the counts are kept for the
    /// next flush.
    public func flush(to store: any StateStore) async throws {
        let batch = pending.withLock { counts in
            let taken = counts
            counts = [:]
            return taken
        }
        do {
            try await store.addLoginTally(batch)
        } catch {
            pending.withLock { counts in counts.merge(batch, uniquingKeysWith: +) }
            throw error
        }
    }
}
