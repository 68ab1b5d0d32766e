import Foundation

/// One running Ferry process, as it registers itself in the shared store:
/// `ferry status` lists the fleet and notices instances whose configs differ
/// (one reloaded, another not).
public struct InstanceRecord: Equatable, Sendable {
    /// Host name and process id, unique while the process lives.
    public var id: String
    public var version: String
    /// SHA-256 of the config file the instance runs, as last (re)loaded.
    public var configDigest: String
    public var startedAt: Date
    public var heartbeatAt: Date

    public init(id: String, version: String, configDigest: String, startedAt: Date, heartbeatAt: Date) {
        self.id = id
        self.version = version
        self.configDigest = configDigest
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
    }

    /// Instances heard from within `window` of `now`: the fleet as it stands.
    public static func live(_ instances: [InstanceRecord], at now: Date, window: TimeInterval) -> [InstanceRecord] {
        instances.filter { now.timeIntervalSince($0.heartbeatAt) <= window }
    }

    /// Whether the live instances run different configs.
    public static func configsDiffer(_ live: [InstanceRecord]) -> Bool {
        Set(live.map(\.configDigest)).count > 1
    }
}
