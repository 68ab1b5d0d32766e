import FerryStore
import Foundation
import Synchronization

/// Legacy sessions learned while answering routing questions — a token seen
/// for the first time whose signature verified, the session store's changed
/// answer — held here and written by the outbox retrier's loop, so that a
/// routing question never writes on the request path. Later questions read
/// what is held before the store. Bounded: past `limit` new observations are
/// dropped (each is learned again on its next request).
public final class SessionObservations: Sendable {
    private let pending = Mutex<[String: ObservedSession]>([:])
    let limit: Int

    public init(limit: Int = 10_000) {
        self.limit = limit
    }

    func add(_ session: ObservedSession) {
        pending.withLock { pending in
            guard pending.count < limit || pending[session.idHash] != nil else { return }
            pending[session.idHash] = session
        }
    }

    func held(idHash: String) -> ObservedSession? {
        pending.withLock { $0[idHash] }
    }

    public var count: Int { pending.withLock { $0.count } }

    /// Writes what is held; what could not be written is kept for next time
    /// unless a newer observation of the same session came meanwhile.
    public func flush(to store: any StateStore) async throws {
        let batch = pending.withLock { pending in
            let taken = pending
            pending = [:]
            return taken
        }
        var unwritten = batch
        defer {
            if !unwritten.isEmpty {
                pending.withLock { pending in pending.merge(unwritten) { newer, _ in newer } }
            }
        }
        for (idHash, session) in batch {
            try await store.recordLegacySession(session)
            unwritten.removeValue(forKey: idHash)
        }
    }
}
