import Foundation
import Synchronization

/// This Ferry release, as instances report it to each other.
public enum FerryVersion {
    public static let current = "0.18.0-dev"
}

/// Who this process is among the instances sharing a state store: host and
/// process id (unique while it lives), the release, when it started, and the
/// digest of the config it runs, updated by every successful (re)load.
public final class InstanceIdentity: Sendable {
    public let id: String
    public let version: String
    public let startedAt: Date
    private let digest = Mutex("")

    public init(
        id: String = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)",
        version: String = FerryVersion.current, startedAt: Date = Date()
    ) {
        self.id = id
        self.version = version
        self.startedAt = startedAt
    }

    public var configDigest: String {
        get { digest.withLock { $0 } }
        set { digest.withLock { $0 = newValue } }
    }
}
