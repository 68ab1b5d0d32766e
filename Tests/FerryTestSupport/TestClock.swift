import Foundation
import Synchronization

/// Wall-clock time a test moves by hand; pass `clock.now` where the code takes
/// `() -> Date`.
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    public var date: Date { current.withLock { $0 } }
    public var now: @Sendable () -> Date { { self.date } }

    public func advance(_ seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }
}

/// Waits until `condition` holds, checking every 25 ms for at most `seconds`;
/// returns whether it held. For what happens in the background (the outbox
/// retrier, a fetch), instead of a fixed sleep.
public func eventually(
    within seconds: Double = 10, _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(25))
    }
    return try await condition()
}
