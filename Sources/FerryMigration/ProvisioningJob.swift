import Foundation
import PasswordHashes

/// What the outbox holds for one migrating user: enough to provision them
/// without the password, after a target outage or a Ferry restart.
public struct ProvisioningJob: Codable, Equatable, Sendable {
    /// Sent as the `Idempotency-Key`; the same on every retry.
    public var key: String
    /// The id the new platform's user gets where Ferry chooses it (`sql`,
    /// `webhook`); SCIM services choose their own.
    public var newID: String
    public var identity: CanonicalIdentity

    public init(
        key: String = UUID().uuidString.lowercased(), newID: String = UUID().uuidString.lowercased(),
        identity: CanonicalIdentity
    ) {
        self.key = key
        self.newID = newID
        self.identity = identity
    }
}

/// Seals jobs with AES-256-GCM under the state key, bound to the user's
/// identifier so a sealed job cannot be replayed for someone else.
public struct JobSealer: Sendable {
    let sealer: SecretSealer

    public init(key: [UInt8]) throws(SecretSealer.SealError) {
        sealer = try SecretSealer(key: key)
    }

    public func seal(_ job: ProvisioningJob, identifier: String) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        // Encoding a struct of strings, numbers and dates cannot fail.
        let plaintext = try! encoder.encode(job)
        return sealer.seal(Array(plaintext), associatedData: Array(identifier.utf8))
    }

    public func open(_ sealed: [UInt8], identifier: String) -> ProvisioningJob? {
        guard let plaintext = try? sealer.open(sealed, associatedData: Array(identifier.utf8)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try? decoder.decode(ProvisioningJob.self, from: Data(plaintext))
    }
}
