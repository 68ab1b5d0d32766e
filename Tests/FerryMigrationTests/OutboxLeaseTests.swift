import Foundation
import Testing

@testable import FerryMigration

/// A lease holds every job of its batch for two target timeouts, and a job
/// whose lease runs short is given up, never started to outlive it.
@Suite struct OutboxLeaseTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: [
        // (batch, target timeout s, lease s)
        (1, 10.0, 30.0), (5, 10.0, 100.0), (5, 1.0, 30.0), (2, 20.0, 80.0),
    ])
    func aLeaseCoversEveryJobTwice(batch: Int, timeout: Double, seconds: Double) {
        #expect(
            OutboxLease.end(leasedAt: Self.start, batch: batch, targetTimeout: timeout)
                == Self.start.addingTimeInterval(seconds))
    }

    @Test(arguments: [
        // (seconds since the lease began, lease s, target timeout s, may start)
        (0.0, 100.0, 10.0, true), (79.0, 100.0, 10.0, true), (80.0, 100.0, 10.0, false),
        (95.0, 100.0, 10.0, false), (130.0, 100.0, 10.0, false), (9.0, 30.0, 10.0, true), (10.0, 30.0, 10.0, false),
    ])
    func aJobStartsOnlyWithTwoTimeoutsOfLeaseLeft(elapsed: Double, lease: Double, timeout: Double, mayStart: Bool) {
        #expect(
            OutboxLease.mayStart(
                leaseEnd: Self.start.addingTimeInterval(lease), now: Self.start.addingTimeInterval(elapsed),
                targetTimeout: timeout) == mayStart)
    }
}
