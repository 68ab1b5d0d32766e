import FerryConfig
import FerryStore
import Foundation
import Testing

@testable import FerryMigration

/// `ferry users show`'s "next login": every state and legacy answer says
/// where the login goes and what an operator can do about it.
struct NextLoginTests {
    /// Mode off keeps the file free of upstreams; eligibility is given per case.
    static let settings: MigrationSettings = try! {
        let text = """
            [server]
            listen = "127.0.0.1:0"
            [migration]
            rollout_percent = 25
            unsupported_mfa = "keep_on_legacy"
            """
        return try ProxyConfig.parse(text, file: "t.conf", baseDirectory: "/tmp").migration
    }()

    static func record(_ state: MigrationState, failure: String? = nil) -> MigrationRecord {
        MigrationRecord(identifier: "ada", state: state, firstSeenAt: Date(), updatedAt: Date(), lastFailure: failure)
    }

    static let found = NextLogin.LegacyAnswer.found(active: true, hold: nil, factorsNotCarried: [])

    @Test(
        arguments: [
            (record(.migrated), Eligibility.eligible, found, "goes to the new platform"),
            (record(.provisioning), .eligible, found, "no open job: `ferry users release ada`"),
            (record(.failed, failure: "conflict"), .eligible, found, "provisioning failed (conflict)"),
            (record(.failed), .eligible, found, "`ferry users retry ada` lets the next login migrate"),
            (nil, .eligible, .notFound, "the legacy source does not know this identifier"),
            (nil, .eligible, .unavailable("locked"), "the legacy source cannot be read (locked)"),
            (nil, .ineligible(.outsideRollout), found, "outside the rollout (rollout_percent = 25.0)"),
            (nil, .ineligible(.denied), found, "matches migration.deny"),
            (nil, .eligible, .found(active: false, hold: nil, factorsNotCarried: []), "disabled"),
            (
                record(.skipped, failure: "held"), .eligible,
                .found(
                    active: true, hold: "held on legacy by hold_on_legacy rule \"role:admin\"",
                    factorsNotCarried: []),
                "rule \"role:admin\""
            ),
            (
                nil, .eligible, .found(active: true, hold: nil, factorsNotCarried: ["webauthn"]),
                "webauthn cannot be carried to the target (unsupported_mfa = \"keep_on_legacy\")"
            ),
            (nil, .eligible, found, "a right password migrates the user"),
        ] as [(MigrationRecord?, Eligibility, NextLogin.LegacyAnswer, String)])
    func explains(record: MigrationRecord?, eligibility: Eligibility, legacy: NextLogin.LegacyAnswer, says: String) {
        let text = NextLogin.explain(
            identifier: "ada", record: record, job: nil, eligibility: eligibility, settings: Self.settings,
            legacy: legacy)
        #expect(text.contains(says), "\(text)")
    }
}
