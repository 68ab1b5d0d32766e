import Foundation

/// How long the retrier holds the jobs it leases, and whether a leased job may
/// still start. A job runs at most the target's timeout; a lease gives every
/// job in its batch twice that, so an instance that dies holds few jobs, and
/// not for long, while a live one never sees its lease end mid-job.
enum OutboxLease {
    /// The end of a lease of `batch` jobs taken at `leasedAt`: two target
    /// timeouts per job, and never under 30 seconds.
    static func end(leasedAt: Date, batch: Int, targetTimeout: Double) -> Date {
        leasedAt.addingTimeInterval(max(30, 2 * targetTimeout * Double(batch)))
    }

    /// A leased job starts only while more than one job's share (two target
    /// timeouts) of the lease is left. Started later, it could outlive the
    /// lease while another instance takes the same job: it is given up
    /// instead, and comes due again when the lease ends, here or elsewhere.
    static func mayStart(leaseEnd: Date, now: Date, targetTimeout: Double) -> Bool {
        leaseEnd.timeIntervalSince(now) > 2 * targetTimeout
    }
}
