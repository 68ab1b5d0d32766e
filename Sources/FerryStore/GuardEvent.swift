import Foundation

/// One brute-force guard event, shared through the store so that the guard's
/// budget holds across every instance behind the balancer: a failure counted
/// here counts on the others within a second. Keys are SHA-256 digests of the
/// identifier or client address, never the values.
public struct GuardEvent: Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// A failed login counted against the key.
        case failure
        /// A right password cleared the identifier's failures.
        case clear
    }

    public enum Scope: String, Sendable {
        case identifier, client
    }

    public var scope: Scope
    /// Hex SHA-256 of the identifier's guard key or the client's address.
    public var key: String
    public var kind: Kind
    public var at: Date
    /// The instance that counted it; instances skip their own events.
    public var origin: String

    public init(scope: Scope, key: String, kind: Kind, at: Date, origin: String) {
        self.scope = scope
        self.key = key
        self.kind = kind
        self.at = at
        self.origin = origin
    }
}

/// A guard event as stored: its row number, and when the database took it
/// (the database's clock, so instances whose clocks differ read the same
/// order).
public struct StoredGuardEvent: Equatable, Sendable {
    public var id: Int64
    public var insertedAt: Date
    public var event: GuardEvent

    public init(id: Int64, insertedAt: Date, event: GuardEvent) {
        self.id = id
        self.insertedAt = insertedAt
        self.event = event
    }
}
