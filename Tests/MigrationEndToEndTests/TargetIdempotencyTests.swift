import FerryConfig
import FerryDemo
import FerryMigration
import Foundation
import PasswordHashes
import Testing

/// Each target on its own, against the sample new platform: a job sent twice
/// makes one user; another user with the same name is a conflict, not an
/// overwrite.
@Suite struct TargetIdempotencyTests {
    static func target(_ world: MigrationWorld) throws -> any ProvisioningTarget {
        let settings = try #require(try ProxyConfig.load(path: world.configPath).target)
        switch settings.kind {
        case .sql: return try SQLTarget(settings: settings)
        case .scim: return try SCIMTarget(settings: settings, client: world.client)
        case .webhook: return try WebhookTarget(settings: settings, client: world.client)
        }
    }

    static func job(legacyID: String, username: String) throws -> ProvisioningJob {
        let hash = try Rehasher().hash("correct horse")
        return ProvisioningJob(
            identity: CanonicalIdentity(
                legacyID: legacyID, username: username, email: "\(username)@example.com",
                credential: .init(passwordHash: hash, legacyScheme: "md5-hex"),
                consents: [
                    .init(purpose: "tos", version: "1", granted: true, at: Date(timeIntervalSince1970: 1_700_000_000))
                ]))
    }

    @Test(arguments: DemoConfig.Target.allCases)
    func retriesFindTheirOwnUserAndStrangersConflict(kind: DemoConfig.Target) async throws {
        try await MigrationScenarioTests.inWorld(kind) { world in
            let target = try Self.target(world)
            let job = try Self.job(legacyID: "9001", username: "grace")
            let first = await target.provision(job)
            guard case .created(let id) = first else {
                Issue.record("the first call creates the user, got \(String(describing: first))")
                return
            }
            #expect(await target.provision(job) == .alreadyThere(newID: id), "a retried job finds its own user")
            let stranger = try Self.job(legacyID: "9002", username: "grace")
            guard case .conflict(let reason) = await target.provision(stranger) else {
                Issue.record("another user with the same name must be a conflict")
                return
            }
            #expect(!reason.contains("grace") && !reason.contains("$argon2id$"), "the reason names no value")
            let accounts = try world.newAccounts("grace")
            #expect(accounts.count == 1)
            #expect(accounts.first?.externalID == "9001", "never overwritten")
        }
    }
}
