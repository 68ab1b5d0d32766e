import FerryMigration
import Foundation
import Synchronization

/// `LegacySource` over a dictionary of accounts keyed by normalized
/// identifier. `unavailable` makes every call fail as a dropped connection.
public final class InMemoryLegacySource: LegacySource {
    public let accounts: Mutex<[String: LegacyAccount]>
    public let unavailable = Mutex(false)

    public init(_ accounts: [String: LegacyAccount] = [:]) {
        self.accounts = Mutex(accounts)
    }

    public func account(for identifier: String) async throws(LegacySourceError) -> LegacyAccount? {
        if unavailable.withLock({ $0 }) { throw .unavailable("connection refused") }
        return accounts.withLock { $0[identifier] }
    }

    public func forEachUser(_ body: @Sendable (LegacyAccount) throws -> Void) async throws {
        if unavailable.withLock({ $0 }) { throw LegacySourceError.unavailable("connection refused") }
        for account in accounts.withLock({ Array($0.values) }) { try body(account) }
    }
}

extension LegacyAccount {
    /// An active account with a password hash and nothing else.
    public static func sample(
        legacyID: String, username: String, passwordHash: String, active: Bool = true,
        mfa: CanonicalIdentity.MFA = .init()
    ) -> LegacyAccount {
        LegacyAccount(
            legacyID: legacyID, username: username, email: nil, emailVerified: false, phone: nil,
            passwordHash: passwordHash, salt: nil, status: active ? "active" : "disabled", active: active,
            profile: .init(), createdAt: nil, lastLoginAt: nil, mfa: mfa, consents: [])
    }
}
