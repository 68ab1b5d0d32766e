import FerryStore
import FerryTestSupport
import Foundation
import Testing

@testable import FerryConfig
@testable import FerryMigration

@Suite struct TokenBucketTests {
    static let start = Date(timeIntervalSince1970: 1_000_000)

    /// Each step: seconds since start, whether a take succeeds.
    @Test(
        arguments: [
            // A full bucket of 3 allows a burst of 3, then nothing until refill.
            (2.0, 3, [(0.0, true), (0, true), (0, true), (0, false), (0.4, false), (0.5, true), (0.5, false)]),
            // Refill stops at the burst size, however long the pause.
            (1, 2, [(0, true), (0, true), (100, true), (100, true), (100, false)]),
            // Rate 0: the burst, then nothing ever again.
            (0, 2, [(0, true), (0, true), (3600, false)]),
            // A clock stepping backwards refills nothing.
            (1, 1, [(10, true), (5, false), (10.5, false), (11, true)]),
        ] as [(Double, Int, [(Double, Bool)])])
    func takes(rate: Double, burst: Int, steps: [(Double, Bool)]) {
        var bucket = TokenBucket(burst: burst, at: Self.start)
        for (index, (offset, expected)) in steps.enumerated() {
            let taken = bucket.take(at: Self.start.addingTimeInterval(offset), rate: rate, burst: burst)
            #expect(taken == expected, "step \(index) at +\(offset)s")
        }
    }

    @Test func peekingSpendsNothing() {
        let bucket = TokenBucket(burst: 1, at: Self.start)
        #expect(bucket.hasToken(at: Self.start, rate: 0, burst: 1))
        #expect(bucket.hasToken(at: Self.start, rate: 0, burst: 1))
        #expect(bucket.tokens == 1)
    }

    /// A reload lowering the burst caps the tokens at once; the limiter keeps
    /// its bucket across config generations.
    @Test func limiterFollowsTheSettingsInForce() throws {
        var settings = try ProxyConfig.parse("[server]\nlisten = \"127.0.0.1:0\"\n", file: "t", baseDirectory: "/tmp")
            .migration
        settings.ratePerSecond = 0
        settings.burst = 5
        let limiter = MigrationRateLimiter()
        #expect(limiter.take(settings, at: Self.start))
        settings.burst = 1
        #expect(limiter.take(settings, at: Self.start))
        #expect(!limiter.take(settings, at: Self.start))
        // A token given back (the login did not provision) is there again.
        limiter.release(settings)
        #expect(limiter.take(settings, at: Self.start))
        settings.ratePerSecond = 10
        #expect(limiter.take(settings, at: Self.start.addingTimeInterval(0.1)))
    }

    /// Instances sharing a store split the budget so the fleet's sum is the
    /// configured rate; a burst smaller than the fleet still lets each
    /// instance migrate someone.
    @Test(arguments: [
        (20.0, 40, 1, 20.0, 40), (20.0, 40, 3, 20.0 / 3, 13), (20.0, 40, 4, 5.0, 10), (0.0, 2, 3, 0.0, 1),
        (10.0, 5, 0, 10.0, 5),
    ])
    func fleetSharesSumToTheConfiguredRate(rate: Double, burst: Int, instances: Int, shareRate: Double, shareBurst: Int)
    {
        let share = MigrationRateLimiter.share(rate: rate, burst: burst, instances: instances)
        #expect(abs(share.rate - shareRate) < 1e-9)
        #expect(share.burst == shareBurst)
    }

    @Test func aLimiterInAFleetTakesItsShare() throws {
        var settings = try ProxyConfig.parse("[server]\nlisten = \"127.0.0.1:0\"\n", file: "t", baseDirectory: "/tmp")
            .migration
        settings.ratePerSecond = 0
        settings.burst = 6
        let limiter = MigrationRateLimiter()
        limiter.fleetSize = 3
        #expect(limiter.take(settings, at: Self.start) && limiter.take(settings, at: Self.start))
        #expect(!limiter.take(settings, at: Self.start), "two of six tokens are this instance's")
    }
}

@Suite struct LoginGuardTests {
    static let start = Date(timeIntervalSince1970: 2_000_000)

    static func settings(identifier: Int = 3, client: Int = 10, window: Duration = .seconds(60)) -> LoginGuardSettings {
        var settings = LoginGuardSettings()
        settings.identifierFailures = identifier
        settings.identifierWindow = window
        settings.clientFailures = client
        settings.clientWindow = window
        return settings
    }

    /// Failures at these offsets, then a check at `at`: blocked until?
    @Test(
        arguments: [
            ([0.0, 1, 2], 3.0, Optional(60.0)),  // third failure blocks until the first leaves the window
            ([0, 1], 3, nil),  // under the limit
            ([0, 1, 2], 59.5, Optional(60.0)),
            ([0, 1, 2], 60, nil),  // the first failure has just left the window
            ([0, 30, 59, 61], 62, Optional(90.0)),  // sliding: the newest three are 30, 59, 61
            ([0, 1, 2], 62.5, nil),  // all three left the window
        ] as [([Double], Double, Double?)])
    func slidingWindow(failures: [Double], at: Double, blockedUntil: Double?) {
        var window = FailureWindow()
        for offset in failures { window.record(at: Self.start.addingTimeInterval(offset), limit: 3) }
        let until = window.blockedUntil(at: Self.start.addingTimeInterval(at), window: .seconds(60), limit: 3)
        #expect(until == blockedUntil.map { Self.start.addingTimeInterval($0) })
    }

    @Test func theNextFailureOverTheLimitIsRefusedAndOthersAreNot() {
        let guardian = LoginGuard()
        let settings = Self.settings()
        var now = Self.start
        for _ in 0..<3 {
            #expect(guardian.check(identifier: "ada", client: "10.0.0.1", settings: settings, at: now) == .allowed)
            guardian.recordFailure(identifier: "ada", client: "10.0.0.1", settings: settings, at: now)
            now += 1
        }
        #expect(
            guardian.check(identifier: "ada", client: "10.0.0.1", settings: settings, at: now)
                == .blocked(scope: "identifier", retryAfter: 57))
        // Another user from the same address is not affected.
        #expect(guardian.check(identifier: "grace", client: "10.0.0.1", settings: settings, at: now) == .allowed)
        // Once the window has passed, ada may try again.
        #expect(
            guardian.check(identifier: "ada", client: "10.0.0.1", settings: settings, at: Self.start + 61) == .allowed)
    }

    @Test func oneAddressGuessingManyAccountsIsStopped() {
        let guardian = LoginGuard()
        let settings = Self.settings(identifier: 100, client: 5)
        for index in 0..<5 {
            guardian.recordFailure(identifier: "user\(index)", client: "10.0.0.9", settings: settings, at: Self.start)
        }
        #expect(
            guardian.check(identifier: "fresh", client: "10.0.0.9", settings: settings, at: Self.start)
                == .blocked(scope: "client", retryAfter: 60))
        #expect(
            guardian.check(identifier: "fresh", client: "10.0.0.10", settings: settings, at: Self.start) == .allowed)
    }

    @Test func successClearsTheIdentifierButNotTheClient() {
        let guardian = LoginGuard()
        let settings = Self.settings(identifier: 2, client: 2)
        guardian.recordFailure(identifier: "ada", client: "a", settings: settings, at: Self.start)
        guardian.recordSuccess(identifier: "ada")
        guardian.recordFailure(identifier: "ada", client: "a", settings: settings, at: Self.start)
        #expect(
            guardian.check(identifier: "ada", client: "b", settings: settings, at: Self.start) == .allowed)
        #expect(
            guardian.check(identifier: "other", client: "a", settings: settings, at: Self.start)
                == .blocked(scope: "client", retryAfter: 60))
    }

    @Test func disabledGuardNeverBlocks() {
        let guardian = LoginGuard()
        var settings = Self.settings(identifier: 1)
        settings.enabled = false
        guardian.recordFailure(identifier: "ada", client: nil, settings: settings, at: Self.start)
        #expect(guardian.check(identifier: "ada", client: nil, settings: settings, at: Self.start) == .allowed)
    }

    @Test func memoryStaysBounded() {
        let guardian = LoginGuard(maxKeys: 100)
        let settings = Self.settings()
        for index in 0..<1000 {
            guardian.recordFailure(
                identifier: "spray\(index)", client: "10.0.\(index / 250).\(index % 250)", settings: settings,
                at: Self.start + Double(index))
            let counts = guardian.keyCounts
            #expect(counts.identifiers <= 100 && counts.clients <= 100, "after \(index + 1): \(counts)")
        }
        // The newest failures are still counted.
        guardian.recordFailure(identifier: "spray999", client: nil, settings: settings, at: Self.start + 1000)
        guardian.recordFailure(identifier: "spray999", client: nil, settings: settings, at: Self.start + 1000)
        #expect(
            guardian.check(identifier: "spray999", client: nil, settings: settings, at: Self.start + 1000) != .allowed)
    }
}

/// The decoys for unknown identifiers are fixed from the population, never the last hash seen.
struct DecoyCalibrationTests {
    @Test func aFixedSampleStandsInForUnknownIdentifiers() {
        let calibration = DecoyCalibration()
        #expect(calibration.decoy(for: "nobody").hash == HashDecoy.fallback)
        for index in 0..<DecoyCalibration.sampleSize {
            calibration.record(.init(hash: "h\(index)", salt: nil, seconds: Double(index)))
            calibration.record(.init(hash: "h\(index)", salt: nil, seconds: 99))
        }
        #expect(calibration.isCalibrated)
        let names = (0..<500).map { "nobody-\($0)@example.com" }
        let chosen = names.map { calibration.decoy(for: $0).hash }
        #expect(Set(chosen).count > DecoyCalibration.sampleSize / 2, "unknown identifiers spread over the sample")
        #expect(names.map { calibration.decoy(for: $0).hash } == chosen, "one identifier, one decoy")
        // A cheap hash verified later changes nothing.
        calibration.record(.init(hash: "md5", salt: nil, seconds: 0.000_01))
        #expect(!names.contains { calibration.decoy(for: $0).hash == "md5" })
    }

    /// The sample read at start is uniform over the users scanned: the oldest
    /// accounts (listed first) do not fill it alone, and the scan stops.
    @Test func theStartupSampleIsUniformAndBounded() {
        var oldSchemeKept = 0
        for _ in 0..<200 {
            var sample = DecoySample(scanned: 1000, size: 10)
            var stopped = 0
            for index in 0..<2000 {
                if sample.offer(hash: index < 500 ? "md5-\(index)" : "bcrypt-\(index)", salt: nil) {
                    stopped = index + 1
                    break
                }
            }
            #expect(stopped == 1000)
            #expect(sample.hashes.count == 10)
            oldSchemeKept += sample.hashes.filter { $0.hash.hasPrefix("md5") }.count
        }
        // Half the users scanned are md5: about half the sample, not all of it.
        #expect((700...1300).contains(oldSchemeKept), "\(oldSchemeKept) of 2000")
    }
}

/// The guard's budget across instances sharing one store.
@Suite struct FleetGuardTests {
    static let start = Date(timeIntervalSince1970: 2_000_000)

    static func row(_ id: Int64, _ seconds: Double, key: String = "k") -> StoredGuardEvent {
        StoredGuardEvent(
            id: id, insertedAt: start + seconds,
            event: GuardEvent(scope: .identifier, key: key, kind: .failure, at: start + seconds, origin: "other"))
    }

    /// Reads overlap; a row is counted once, also one that committed late
    /// with a lower number.
    @Test func overlappingReadsCountEachRowOnce() {
        var cursor = GuardCursor(since: Self.start)
        var counted: [Int64] = []
        let reads: [[StoredGuardEvent]] = [
            [Self.row(1, 1), Self.row(3, 2)],
            // Row 2 committed after row 3 was read; rows 1 and 3 come again.
            [Self.row(1, 1), Self.row(2, 1.5), Self.row(3, 2), Self.row(4, 9)],
            [Self.row(4, 9), Self.row(5, 10)],
            [],
        ]
        for rows in reads {
            let (fresh, next) = cursor.advance(over: rows.filter { $0.insertedAt >= cursor.since })
            counted += fresh.map(\.id)
            cursor = next
        }
        #expect(counted == [1, 3, 2, 4, 5])
        #expect(cursor.since == Self.start + 5, "five seconds behind the newest row")
        #expect(cursor.seen == [4, 5])
    }

    /// Failures counted on two instances add up to one budget, and a right
    /// password on one clears the identifier on the other.
    @Test func twoInstancesShareOneBudget() async throws {
        let store = InMemoryStateStore()
        let (a, b) = (LoginGuard(), LoginGuard())
        let (syncA, syncB) = (GuardSync(startingAt: .distantPast), GuardSync(startingAt: .distantPast))
        var settings = LoginGuardSettings()
        settings.identifierFailures = 3
        settings.identifierWindow = .seconds(600)
        let now = Date()
        a.recordFailure(identifier: "ada", client: "10.0.0.1", settings: settings, at: now)
        a.recordFailure(identifier: "ada", client: "10.0.0.2", settings: settings, at: now)
        b.recordFailure(identifier: "ada", client: "10.0.0.3", settings: settings, at: now)
        #expect(b.check(identifier: "ada", client: nil, settings: settings, at: now) == .allowed, "not shared yet")
        try await syncA.sync(store: store, loginGuard: a, settings: settings, origin: "a")
        try await syncB.sync(store: store, loginGuard: b, settings: settings, origin: "b")
        try await syncA.sync(store: store, loginGuard: a, settings: settings, origin: "a")
        for guardian in [a, b] {
            #expect(guardian.check(identifier: "ada", client: nil, settings: settings, at: now) != .allowed)
        }
        // Syncing again counts nothing twice, nor an instance's own events.
        try await syncB.sync(store: store, loginGuard: b, settings: settings, origin: "b")
        #expect(b.check(identifier: "grace", client: "10.0.0.1", settings: settings, at: now) == .allowed)

        b.recordSuccess(identifier: "ada")
        try await syncB.sync(store: store, loginGuard: b, settings: settings, origin: "b")
        try await syncA.sync(store: store, loginGuard: a, settings: settings, origin: "a")
        #expect(a.check(identifier: "ada", client: nil, settings: settings, at: now) == .allowed)
        // What is shared names no identifier or address.
        let shared = try await store.guardEvents(insertedSince: .distantPast, limit: 100)
        #expect(shared.allSatisfy { $0.event.key.count == 64 && !$0.event.key.contains("ada") })
    }
}
