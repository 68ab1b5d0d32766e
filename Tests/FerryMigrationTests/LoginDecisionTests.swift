import FerryConfig
import FerryStore
import Testing

@testable import FerryMigration

@Suite struct LoginDecisionTests {
    typealias Row = (facts: LoginFacts, step: LoginStep)

    static func facts(
        _ state: MigrationState? = nil, _ eligibility: Eligibility = .eligible,
        mode: MigrationSettings.MigrationMode = .migrate, verified: Verification? = nil,
        provisioned: ProvisioningResult? = nil
    ) -> LoginFacts {
        LoginFacts(
            state: state, eligibility: eligibility, mode: mode, verification: verified, provisioning: provisioned)
    }

    static let table: [Row] = [
        // Already migrated: the new platform, whatever the mode or cohort says now.
        (facts(.migrated), .forwardToNew(.migrated)),
        (facts(.migrated, .ineligible(.modeOff), mode: .off), .forwardToNew(.migrated)),
        (facts(.migrated, .ineligible(.denied)), .forwardToNew(.migrated)),
        // In flight or refused before: legacy.
        (facts(.provisioning), .forwardToLegacy(.provisioningPending)),
        (facts(.failed), .forwardToLegacy(.failedBefore)),
        // Not eligible: legacy, untouched, before any lookup.
        (facts(nil, .ineligible(.modeOff), mode: .off), .forwardToLegacy(.modeOff)),
        (facts(.legacy, .ineligible(.outsideRollout)), .forwardToLegacy(.outsideRollout)),
        (facts(nil, .ineligible(.denied)), .forwardToLegacy(.denied)),
        (facts(nil, .ineligible(.rateLimited)), .forwardToLegacy(.rateLimited)),
        // Eligible: verify first.
        (facts(nil), .verifyPassword),
        (facts(.legacy), .verifyPassword),
        (facts(.skipped), .verifyPassword),
        (facts(nil, mode: .shadow), .verifyPassword),
        // Every verification failure goes to legacy, which answers as it always did.
        (facts(nil, verified: .mismatch), .forwardToLegacy(.wrongPassword)),
        (facts(nil, verified: .unknownUser), .forwardToLegacy(.unknownUser)),
        (facts(nil, verified: .disabledUser), .forwardToLegacy(.disabledUser)),
        (facts(nil, verified: .unusableHash), .forwardToLegacy(.unusableHash)),
        (facts(nil, verified: .hashQueueFull), .forwardToLegacy(.hashQueueFull)),
        (facts(nil, verified: .sourceUnavailable), .forwardToLegacy(.sourceUnavailable)),
        // Shadow mode never provisions.
        (facts(nil, mode: .shadow, verified: .match(.carried)), .forwardToLegacy(.shadow)),
        (facts(nil, mode: .shadow, verified: .match(.keepOnLegacy)), .forwardToLegacy(.shadow)),
        // Privileged accounts held on legacy, in shadow mode too (they would not migrate).
        (facts(nil, verified: .held), .forwardToLegacy(.heldOnLegacy)),
        (facts(nil, mode: .shadow, verified: .held), .forwardToLegacy(.heldOnLegacy)),
        (facts(.skipped, verified: .held), .forwardToLegacy(.heldOnLegacy)),
        // MFA the target cannot hold.
        (facts(nil, verified: .match(.keepOnLegacy)), .forwardToLegacy(.mfaKeptOnLegacy)),
        (facts(nil, verified: .match(.reenroll)), .provision),
        (facts(nil, verified: .match(.carried)), .provision),
        // Provisioning outcomes.
        (facts(nil, verified: .match(.carried), provisioned: .created), .forwardToNew(.justMigrated)),
        (facts(.legacy, verified: .match(.carried), provisioned: .alreadyThere), .forwardToNew(.justMigrated)),
        (facts(nil, verified: .match(.reenroll), provisioned: .created), .forwardToNew(.justMigrated)),
        (facts(nil, verified: .match(.carried), provisioned: .claimLost(.migrated)), .forwardToNew(.migrated)),
        (
            facts(nil, verified: .match(.carried), provisioned: .claimLost(.provisioning)),
            .forwardToLegacy(.provisioningPending)
        ),
        (facts(nil, verified: .match(.carried), provisioned: .claimLost(.failed)), .forwardToLegacy(.failedBefore)),
        (facts(nil, verified: .match(.carried), provisioned: .conflict), .forwardToLegacy(.targetConflict)),
        (facts(nil, verified: .match(.carried), provisioned: .rejected), .forwardToLegacy(.targetRejected)),
        (facts(nil, verified: .match(.carried), provisioned: .targetUnavailable), .forwardToLegacy(.targetUnavailable)),
        (facts(nil, verified: .match(.carried), provisioned: .hashQueueFull), .forwardToLegacy(.hashQueueFull)),
    ]

    @Test(arguments: table.indices)
    func decisionTable(row: Int) {
        let (facts, step) = Self.table[row]
        #expect(LoginDecision.next(facts) == step, "row \(row): \(facts)")
    }

    /// Whatever the facts, a login never reaches the new platform without the
    /// user being migrated or provisioned just now.
    @Test func newPlatformOnlyForMigratedUsers() {
        let states: [MigrationState?] = [nil] + MigrationState.allCases
        let verifications: [Verification?] = [
            nil, .match(.carried), .match(.reenroll), .match(.keepOnLegacy), .held, .mismatch, .unknownUser,
            .ambiguousIdentifier,
            .disabledUser, .unusableHash, .hashQueueFull, .sourceUnavailable,
        ]
        let provisionings: [ProvisioningResult?] = [
            nil, .created, .alreadyThere, .conflict, .rejected, .targetUnavailable, .hashQueueFull,
            .claimLost(.migrated), .claimLost(.provisioning), .claimLost(.failed),
        ]
        for state in states {
            for eligibility in [Eligibility.eligible, .ineligible(.modeOff), .ineligible(.outsideRollout)] {
                for mode in MigrationSettings.MigrationMode.allCases {
                    for verification in verifications {
                        for provisioning in provisionings {
                            let facts = LoginFacts(
                                state: state, eligibility: eligibility, mode: mode, verification: verification,
                                provisioning: provisioning)
                            guard case .forwardToNew = LoginDecision.next(facts) else { continue }
                            let migratedBefore = state == .migrated
                            let migratedNow =
                                mode == .migrate
                                && verification.map { if case .match = $0 { true } else { false } } == true
                                && [.created, .alreadyThere, .claimLost(.migrated)].contains(provisioning)
                            #expect(migratedBefore || migratedNow, "\(facts)")
                        }
                    }
                }
            }
        }
    }

    static let mfaTable:
        [(Set<MFAFactorKind>, [String], Set<MFAFactorKind>, MigrationSettings.UnsupportedMFAPolicy, [String], MFAFit)] =
            [
                ([], [], [], .keepOnLegacy, [], .carried),
                ([.totp], [], [.totp, .recoveryCodes], .keepOnLegacy, [], .carried),
                ([.totp, .recoveryCodes], [], [.totp, .recoveryCodes], .requireReenroll, [], .carried),
                ([.totp, .webauthn], [], [.totp, .recoveryCodes], .requireReenroll, ["webauthn"], .reenroll),
                ([.totp, .webauthn], [], [.totp, .recoveryCodes], .keepOnLegacy, ["webauthn"], .keepOnLegacy),
                ([.phone], [], [], .keepOnLegacy, ["phone"], .keepOnLegacy),
                // A SaaS platform's authenticator: the target could hold a TOTP
                // secret, but legacy never hands it over.
                ([], ["totp"], [.totp], .keepOnLegacy, ["totp"], .keepOnLegacy),
                ([], ["SOFTWARE_TOKEN_MFA"], [.totp], .requireReenroll, ["SOFTWARE_TOKEN_MFA"], .reenroll),
                ([.phone], ["totp"], [.phone], .requireReenroll, ["totp"], .reenroll),
                ([.webauthn], ["webauthn", "email"], [], .keepOnLegacy, ["webauthn", "email"], .keepOnLegacy),
            ]

    @Test(arguments: mfaTable)
    func mfaPolicy(
        has: Set<MFAFactorKind>, unexported: [String], holds: Set<MFAFactorKind>,
        policy: MigrationSettings.UnsupportedMFAPolicy, notCarried: [String], fit: MFAFit
    ) {
        let names = MFAPolicy.notCarried(has: has, unexported: unexported, targetHolds: holds)
        #expect(names == notCarried)
        #expect(MFAPolicy.fit(notCarried: names, policy: policy) == fit)
    }

    @Test(arguments: [
        (0, 1, 300, 1.0), (1, 1, 300, 2.0), (4, 1, 300, 16.0), (8, 1, 300, 256.0), (9, 1, 300, 300.0),
        (60, 1, 300, 300.0), (-3, 1, 300, 1.0), (2, 5, 12, 12.0),
    ])
    func backoffDoublesUpToTheCeiling(attempt: Int, initial: Int, ceiling: Int, seconds: Double) {
        let delay = RetryBackoff.delay(attempt: attempt, initial: .seconds(initial), ceiling: .seconds(ceiling))
        #expect(delay == .seconds(seconds))
        let spread = RetryBackoff.delay(
            attempt: attempt, initial: .seconds(initial), ceiling: .seconds(ceiling), jitter: 1)
        #expect(spread == .seconds(seconds / 2), "full jitter takes at most half off")
    }
}
