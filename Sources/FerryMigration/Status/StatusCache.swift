import Foundation

/// The status report as the status page and `/admin/status` serve it: from
/// memory, so that a request costs the same for 100 legacy users and for 10
/// million, and anyone polling the unauthenticated page cannot make Ferry scan
/// the legacy store in a loop.
///
/// A report is fresh for `minimumAge`, or for ten times what it cost to build
/// when that is longer (a scan of 10 million rows that takes 20 s is redone at
/// most every 200 s). A stale report is still served while one refresh runs in
/// the background; only the very first request waits, and concurrent first
/// requests share one build. One cache per config generation: a reload starts
/// afresh, so a changed mode or rollout shows at once.
public actor StatusCache {
    private var cached: (report: StatusReport, builtAt: ContinuousClock.Instant, cost: Duration)?
    private var building: Task<StatusReport, any Error>?
    let minimumAge: Duration

    public init(minimumAge: Duration = .seconds(5)) {
        self.minimumAge = minimumAge
    }

    /// Whether a report built `age` ago at a cost of `cost` may still be served
    /// without starting a refresh.
    static func isFresh(age: Duration, cost: Duration, minimumAge: Duration) -> Bool {
        age < max(minimumAge, cost * 10)
    }

    public func report(build: @escaping @Sendable () async throws -> StatusReport) async throws -> StatusReport {
        if let cached {
            if !Self.isFresh(age: .now - cached.builtAt, cost: cached.cost, minimumAge: minimumAge) {
                startBuilding(build)
            }
            return cached.report
        }
        return try await startBuilding(build).value
    }

    @discardableResult
    private func startBuilding(_ build: @escaping @Sendable () async throws -> StatusReport) -> Task<
        StatusReport, any Error
    > {
        if let building { return building }
        let task = Task {
            let started = ContinuousClock.now
            do {
                let report = try await build()
                self.finished(report, started: started)
                return report
            } catch {
                self.failed()
                throw error
            }
        }
        building = task
        return task
    }

    private func finished(_ report: StatusReport, started: ContinuousClock.Instant) {
        cached = (report, .now, .now - started)
        building = nil
    }

    private func failed() {
        building = nil
    }
}
