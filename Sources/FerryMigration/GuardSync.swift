import FerryConfig
import FerryStore
import Foundation
import Synchronization

/// Where a reader of the shared guard events stands: events the database
/// took before `since` are behind it, and `seen` holds the rows at or after
/// `since` already counted. Windows overlap by `overlap` because a row
/// numbered lower can commit after one numbered higher; the overlap's rows
/// are recognised by id and not counted twice.
struct GuardCursor: Equatable, Sendable {
    var since: Date
    var seen: Set<Int64> = []

    static let overlap: TimeInterval = 5

    /// The events not counted yet among `rows` (one read from `since`), and
    /// the cursor after them.
    func advance(over rows: [StoredGuardEvent]) -> (fresh: [StoredGuardEvent], next: GuardCursor) {
        var fresh: [StoredGuardEvent] = []
        var newest = since
        for row in rows {
            if !seen.contains(row.id) { fresh.append(row) }
            if row.insertedAt > newest { newest = row.insertedAt }
        }
        if rows.isEmpty { return (fresh: fresh, next: self) }
        let next = max(since, newest.addingTimeInterval(-Self.overlap))
        // This read returned every row from the old `since` on, so the rows
        // the next read can return again are all among these.
        var remembered: Set<Int64> = []
        for row in rows where row.insertedAt >= next { remembered.insert(row.id) }
        return (fresh: fresh, next: GuardCursor(since: next, seen: remembered))
    }
}

/// Shares the brute-force guard's failures among the instances behind one
/// balancer, through the state store: every second each instance writes the
/// failures it counted and counts the others'. The budget is global, a
/// second or two late: an attacker spreading guesses over N instances gets at
/// most what they can send in that second on each beyond the limit.
final class GuardSync: Sendable {
    private let cursor: Mutex<GuardCursor>

    init(startingAt start: Date) {
        cursor = Mutex(GuardCursor(since: start))
    }

    func sync(
        store: any StateStore, loginGuard: LoginGuard, settings: LoginGuardSettings, origin: String
    ) async throws {
        let mine = loginGuard.takeUnshared().map { $0.from(origin) }
        do {
            try await store.publishGuardEvents(mine)
        } catch {
            loginGuard.returnUnshared(mine.map { $0.from("") })
            throw error
        }
        while true {
            let current = cursor.withLock { $0 }
            let rows = try await store.guardEvents(insertedSince: current.since, limit: 5_000)
            let (fresh, next) = current.advance(over: rows)
            cursor.withLock { $0 = next }
            loginGuard.merge(fresh.map(\.event).filter { $0.origin != origin }, settings: settings)
            if rows.count < 5_000 || fresh.isEmpty { return }
        }
    }
}

extension GuardEvent {
    /// The same event, counted by `origin`.
    func from(_ origin: String) -> GuardEvent {
        GuardEvent(scope: scope, key: key, kind: kind, at: at, origin: origin)
    }
}
