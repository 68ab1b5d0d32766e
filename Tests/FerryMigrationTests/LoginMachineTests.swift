import FerryConfig
import FerryStore
import Testing

@testable import FerryMigration

/// Whole login journeys through the pure machine: facts in, actions out. Every
/// reason a login can have appears in the table.
@Suite struct LoginMachineTests {
    /// What the world answers when the machine asks.
    struct World {
        var verdict = GuardVerdict.allowed
        var identifierIsEmpty = false
        var storeIsOpen = true
        var state: MigrationState?
        var eligibility = Eligibility.eligible
        var rateGranted = true
        var verification = Verification.match(.carried)
        var accountFound = true
        var rehash = LoginEvent.RehashOutcome.hashed
        var claim = ProvisioningClaim.claimed(jobID: 1)
        var target = TargetOutcome.created(newID: "n-1")
        /// The store call made for this action fails.
        var storeFailsOn: String?
        var answer: Int? = 200
        /// `[legacy.answer]`'s rules on legacy's answer (nil: no rules).
        var legacyVerdict: AnswerVerdict?
        /// Whether the legacy source knows the identifier (nil: it cannot say).
        var legacyKnows: Bool? = true
        /// Whether the new platform holds it (nil: it cannot say).
        var newHolds: Bool?
    }

    /// Runs one login; returns the trail of actions, spelled briefly, and the
    /// effects of its end.
    static func journey(
        _ world: World, mode: MigrationSettings.MigrationMode = .migrate,
        overLimit: LoginGuardSettings.OverLimit = .reject, storeFailure: StateSettings.StoreFailurePolicy = .legacy,
        unknown: MigrationSettings.UnknownIdentifierPolicy = .legacy,
        unknownToBoth: MigrationSettings.UnknownToBothPolicy = .legacy
    ) -> (trail: String, effects: [LoginEffects]) {
        var machine = LoginMachine(
            settings: .init(
                mode: mode, overLimit: overLimit, storeFailure: storeFailure, legacyFailureStatuses: [401],
                unknownIdentifier: unknown, unknownToBoth: unknownToBoth))
        var trail: [String] = []
        var effects: [LoginEffects] = []
        var action = machine.next(
            .started(identifierIsEmpty: world.identifierIsEmpty, guard: world.verdict, storeIsOpen: world.storeIsOpen))
        func stored(_ name: String, _ event: LoginEvent) -> LoginEvent {
            world.storeFailsOn == name ? .storeFailed : event
        }
        for _ in 0..<20 {
            switch action {
            case .lookUp:
                trail.append("lookUp")
                action = machine.next(stored("lookUp", .lookedUp(world.state, world.eligibility)))
            case .checkLegacy:
                trail.append("checkLegacy")
                action = machine.next(.legacyChecked(known: world.legacyKnows))
            case .askNew:
                trail.append("askNew")
                action = machine.next(.newAnswered(holds: world.newHolds))
            case .reserveRate:
                trail.append("reserveRate")
                action = machine.next(.rateReserved(world.rateGranted))
            case .verify:
                trail.append("verify")
                action = machine.next(.verified(world.verification, accountFound: world.accountFound))
            case .recordSeen:
                trail.append("recordSeen")
                action = machine.next(stored("recordSeen", .seenRecorded))
            case .rehash:
                trail.append("rehash")
                action = machine.next(.rehashed(world.rehash))
            case .claim:
                trail.append("claim")
                action = machine.next(stored("claim", .claimed(world.claim)))
            case .provision:
                trail.append("provision")
                action = machine.next(.provisioned(world.target))
            case .recordProvisioning:
                trail.append("recordProvisioning")
                action = machine.next(stored("recordProvisioning", .provisioningRecorded))
            case .note(let reason):
                trail.append("note(\(reason.rawValue))")
                action = machine.next(stored("note", .noted))
            case .forward(let outcome, let effect):
                trail.append("forward(\(outcome.label))")
                effects.append(effect)
                action = machine.next(
                    .answered(
                        status: world.answer, verdict: outcome.destination == .legacy ? world.legacyVerdict : nil))
            case .settle(let outcome, let effect):
                trail.append("settle(\(outcome.label))")
                effects.append(effect)
                return (trail.joined(separator: " "), effects)
            case .refuse(let outcome, let effect):
                trail.append("refuse(\(outcome.label))")
                effects.append(effect)
                return (trail.joined(separator: " "), effects)
            case .finish(let effect):
                effects.append(effect)
                return (trail.joined(separator: " "), effects)
            }
        }
        Issue.record("the journey did not end: \(trail)")
        return (trail.joined(separator: " "), effects)
    }

    static let migrating = "lookUp reserveRate verify recordSeen rehash claim provision recordProvisioning"

    static let journeys: [(String, World, String)] = [
        // The happy path, and users already on their way.
        ("first login migrates", World(), "\(migrating) forward(new:just_migrated)"),
        ("migrated user", World(state: .migrated), "lookUp forward(new:migrated)"),
        ("provisioning user", World(state: .provisioning), "lookUp forward(legacy:provisioning_pending)"),
        ("failed user", World(state: .failed), "lookUp forward(legacy:failed_before)"),
        // Who may migrate, and how fast.
        ("outside rollout", World(eligibility: .ineligible(.outsideRollout)), "lookUp forward(legacy:outside_rollout)"),
        ("denied", World(eligibility: .ineligible(.denied)), "lookUp forward(legacy:denied)"),
        ("mode off", World(eligibility: .ineligible(.modeOff)), "lookUp forward(legacy:mode_off)"),
        ("rate spent", World(rateGranted: false), "lookUp reserveRate forward(legacy:rate_limited)"),
        // What verification says.
        (
            "wrong password", World(verification: .mismatch),
            "lookUp reserveRate verify recordSeen note(wrong_password) forward(legacy:wrong_password)"
        ),
        (
            "unknown user", World(verification: .unknownUser, accountFound: false),
            "lookUp reserveRate verify forward(legacy:unknown_user)"
        ),
        (
            "disabled user", World(verification: .disabledUser),
            "lookUp reserveRate verify recordSeen forward(legacy:disabled_user)"
        ),
        (
            "unusable hash", World(verification: .unusableHash),
            "lookUp reserveRate verify recordSeen forward(legacy:unusable_hash)"
        ),
        (
            "hash queue full", World(verification: .hashQueueFull),
            "lookUp reserveRate verify recordSeen forward(legacy:hash_queue_full)"
        ),
        (
            "source down", World(verification: .sourceUnavailable, accountFound: false),
            "lookUp reserveRate verify forward(legacy:source_unavailable)"
        ),
        (
            "MFA kept on legacy", World(verification: .match(.keepOnLegacy)),
            "lookUp reserveRate verify recordSeen note(mfa_kept_on_legacy) forward(legacy:mfa_kept_on_legacy)"
        ),
        (
            "several legacy users match", World(verification: .ambiguousIdentifier, accountFound: false),
            "lookUp reserveRate verify forward(legacy:ambiguous_identifier)"
        ),
        (
            "privileged account held on legacy", World(verification: .held),
            "lookUp reserveRate verify recordSeen note(held_on_legacy) forward(legacy:held_on_legacy)"
        ),
        // Provisioning.
        (
            "rehash queue full", World(rehash: .queueFull),
            "lookUp reserveRate verify recordSeen rehash forward(legacy:hash_queue_full)"
        ),
        (
            "no target", World(rehash: .noTarget),
            "lookUp reserveRate verify recordSeen rehash forward(legacy:target_unavailable)"
        ),
        (
            "another login claimed", World(claim: .alreadyProvisioning),
            "lookUp reserveRate verify recordSeen rehash claim forward(legacy:provisioning_pending)"
        ),
        (
            "another login migrated", World(claim: .alreadyMigrated),
            "lookUp reserveRate verify recordSeen rehash claim forward(new:migrated)"
        ),
        ("target conflict", World(target: .conflict("x")), "\(migrating) forward(legacy:target_conflict)"),
        ("target rejected", World(target: .rejected("x")), "\(migrating) forward(legacy:target_rejected)"),
        ("target down", World(target: .unavailable("x")), "\(migrating) forward(legacy:target_unavailable)"),
        ("target had it", World(target: .alreadyThere(newID: "n")), "\(migrating) forward(new:just_migrated)"),
        // Before anything.
        ("no identifier", World(identifierIsEmpty: true), "forward(legacy:no_identifier)"),
        ("store not open", World(storeIsOpen: false), "forward(legacy:store_unavailable)"),
        (
            "over the limit", World(verdict: .blocked(scope: "identifier", retryAfter: 30)),
            "refuse(throttle:too_many_failures)"
        ),
        // The store failing midway: the user stays where they are.
        ("store fails on look-up", World(storeFailsOn: "lookUp"), "lookUp forward(legacy:store_unavailable)"),
        (
            "store fails on claim", World(storeFailsOn: "claim"),
            "lookUp reserveRate verify recordSeen rehash claim forward(legacy:store_unavailable)"
        ),
        (
            "store fails recording", World(storeFailsOn: "recordProvisioning"),
            "\(migrating) forward(legacy:store_unavailable)"
        ),
        (
            "store fails on note", World(verification: .mismatch, storeFailsOn: "note"),
            "lookUp reserveRate verify recordSeen note(wrong_password) forward(legacy:store_unavailable)"
        ),
        // Judged by legacy's answer to the forwarded login.
        (
            "legacy's answer: right", World(verification: awaiting, legacyVerdict: .accepted),
            "\(sentForVerdict) rehash claim provision recordProvisioning settle(legacy:migrated_by_answer)"
        ),
        (
            "legacy's answer: wrong", World(verification: awaiting, legacyVerdict: .rejected),
            "\(sentForVerdict) note(wrong_password) settle(legacy:wrong_password)"
        ),
        (
            "legacy's answer: a listed failure status",
            World(verification: awaiting, answer: 401, legacyVerdict: .unclear),
            "\(sentForVerdict) note(wrong_password) settle(legacy:wrong_password)"
        ),
        (
            "legacy's answer: unclear", World(verification: awaiting, answer: 500, legacyVerdict: .unclear),
            "\(sentForVerdict) settle(legacy:answer_unclear)"
        ),
        (
            "legacy's answer: no answer", World(verification: awaiting, answer: nil, legacyVerdict: .unclear),
            "\(sentForVerdict) settle(legacy:answer_unclear)"
        ),
        (
            "legacy's answer: right, privileged",
            World(verification: .awaitingAnswer(ifAccepted: .held), legacyVerdict: .accepted),
            "\(sentForVerdict) note(held_on_legacy) settle(legacy:held_on_legacy)"
        ),
        (
            "legacy's answer: right, target down",
            World(verification: awaiting, target: .unavailable("x"), legacyVerdict: .accepted),
            "\(sentForVerdict) rehash claim provision recordProvisioning settle(legacy:target_unavailable)"
        ),
        (
            "legacy's answer: right, store fails on claim",
            World(verification: awaiting, storeFailsOn: "claim", legacyVerdict: .accepted),
            "\(sentForVerdict) rehash claim settle(legacy:store_unavailable)"
        ),
    ]

    static let awaiting = Verification.awaitingAnswer(ifAccepted: .match(.carried))
    static let sentForVerdict = "lookUp reserveRate verify recordSeen forward(legacy:awaiting_answer)"

    @Test(arguments: journeys)
    func journey(_ name: String, _ world: World, _ expected: String) {
        #expect(Self.journey(world).trail == expected, "\(name)")
    }

    /// Someone legacy does not know (they signed up on the new platform):
    /// where `unknown_identifier` and `unknown_to_both` send them, whatever
    /// the rollout says, and never through hash work.
    static let unknownJourneys:
        [(
            String, World, MigrationSettings.UnknownIdentifierPolicy, MigrationSettings.UnknownToBothPolicy, String
        )] = [
            (
                "policy legacy: as before", World(verification: .unknownUser, accountFound: false, legacyKnows: false),
                .legacy, .legacy, "lookUp reserveRate verify forward(legacy:unknown_user)"
            ),
            (
                "policy new", World(legacyKnows: false), .new, .legacy,
                "lookUp checkLegacy forward(new:new_only)"
            ),
            (
                "outside the rollout too", World(eligibility: .ineligible(.outsideRollout), legacyKnows: false), .new,
                .legacy, "lookUp checkLegacy forward(new:new_only)"
            ),
            (
                "lookup: the new platform holds them", World(legacyKnows: false, newHolds: true), .lookup, .legacy,
                "lookUp checkLegacy askNew forward(new:new_only)"
            ),
            (
                "lookup: nobody knows them", World(legacyKnows: false, newHolds: false), .lookup, .legacy,
                "lookUp checkLegacy askNew forward(legacy:unknown_user)"
            ),
            (
                "lookup: nobody, sent to new", World(legacyKnows: false, newHolds: false), .lookup, .new,
                "lookUp checkLegacy askNew forward(new:unknown_to_both)"
            ),
            (
                "lookup: the target cannot say", World(legacyKnows: false, newHolds: nil), .lookup, .legacy,
                "lookUp checkLegacy askNew forward(legacy:unknown_user)"
            ),
            (
                "legacy knows them: the usual path", World(legacyKnows: true), .lookup, .legacy,
                "lookUp checkLegacy reserveRate verify recordSeen rehash claim provision recordProvisioning forward(new:just_migrated)"
            ),
            (
                "legacy cannot say: the usual path",
                World(verification: .sourceUnavailable, accountFound: false, legacyKnows: nil), .lookup, .legacy,
                "lookUp checkLegacy reserveRate verify forward(legacy:source_unavailable)"
            ),
            (
                "a user Ferry has seen is not looked up again", World(state: .legacy, legacyKnows: false), .lookup,
                .legacy,
                "lookUp reserveRate verify recordSeen rehash claim provision recordProvisioning forward(new:just_migrated)"
            ),
        ]

    @Test(arguments: unknownJourneys)
    func unknownIdentifiers(
        name: String, world: World, unknown: MigrationSettings.UnknownIdentifierPolicy,
        toBoth: MigrationSettings.UnknownToBothPolicy, expected: String
    ) {
        #expect(Self.journey(world, unknown: unknown, unknownToBoth: toBoth).trail == expected, "\(name)")
    }

    @Test func everyReasonHasAJourney() {
        let spelled =
            Self.journeys.map(\.2).joined(separator: " ") + Self.unknownJourneys.map(\.4).joined(separator: " ")
            + Self.journey(World(), mode: .shadow).trail
            + Self.journey(World(verdict: .blocked(scope: "client", retryAfter: 1)), overLimit: .legacy).trail
        let reasons =
            LegacyReason.allCases.map { "legacy:\($0.rawValue)" }
            + NewReason.allCases.map { "new:\($0.rawValue)" } + ["throttle:too_many_failures"]
        for reason in reasons {
            #expect(spelled.contains("(\(reason))"), "no journey ends in \(reason)")
        }
    }

    @Test func shadowModeVerifiesWithoutSpendingTheRate() {
        let trail = Self.journey(World(), mode: .shadow).trail
        #expect(trail == "lookUp verify recordSeen note(shadow) forward(legacy:shadow)")
        let answered = Self.journey(World(verification: Self.awaiting, legacyVerdict: .accepted), mode: .shadow).trail
        #expect(
            answered == "lookUp verify recordSeen forward(legacy:awaiting_answer) note(shadow) settle(legacy:shadow)")
    }

    @Test func policiesChooseHowToRefuse() {
        let blocked = World(verdict: .blocked(scope: "client", retryAfter: 9))
        #expect(Self.journey(blocked, overLimit: .legacy).trail == "forward(legacy:throttled)")
        #expect(
            Self.journey(World(storeIsOpen: false), storeFailure: .reject).trail == "refuse(reject:store_unavailable)")
    }

    /// The rate is taken once, before hash work, and given back unless a
    /// provisioning started; the guard counts wrong passwords at once and
    /// legacy's refusals of logins it judged itself after its answer.
    @Test(
        arguments: [
            (World(), LoginEffects(guardSuccess: true), LoginEffects()),
            (World(rehash: .queueFull), LoginEffects(releaseRate: true), LoginEffects()),
            (World(claim: .alreadyProvisioning), LoginEffects(releaseRate: true), LoginEffects()),
            (World(target: .unavailable("x")), LoginEffects(), LoginEffects()),
            (World(rateGranted: false, answer: 401), LoginEffects(), LoginEffects(guardFailure: true)),
            (
                World(eligibility: .ineligible(.outsideRollout), answer: 401), LoginEffects(),
                LoginEffects(guardFailure: true)
            ),
            (World(eligibility: .ineligible(.outsideRollout), answer: 303), LoginEffects(), LoginEffects()),
            // Forwarded unjudged to the new platform: nothing at once (a
            // forward proves no password), its refusal counts afterwards.
            (World(state: .migrated, answer: 401), LoginEffects(), LoginEffects(guardFailure: true)),
            (World(state: .migrated, answer: 303), LoginEffects(), LoginEffects()),
            // Ferry judged it wrong, legacy let the user in: a disagreement,
            // and the counted failure is taken back.
            (
                World(verification: .mismatch, answer: 303), LoginEffects(guardFailure: true, releaseRate: true),
                LoginEffects(disagreement: true)
            ),
            (
                World(verification: .ambiguousIdentifier, answer: 401), LoginEffects(releaseRate: true),
                LoginEffects(guardFailure: true)
            ),
            (
                World(verification: .mismatch, answer: 401), LoginEffects(guardFailure: true, releaseRate: true),
                LoginEffects()
            ),
            // `[legacy.answer]`'s rules: a 303 back to the sign-in page is a
            // refusal; a rule saying yes overrides a listed status.
            (
                World(eligibility: .ineligible(.outsideRollout), answer: 303, legacyVerdict: .rejected),
                LoginEffects(), LoginEffects(guardFailure: true)
            ),
            (
                World(eligibility: .ineligible(.outsideRollout), answer: 401, legacyVerdict: .accepted),
                LoginEffects(), LoginEffects()
            ),
            (
                World(verification: .mismatch, answer: 303, legacyVerdict: .rejected),
                LoginEffects(guardFailure: true, releaseRate: true), LoginEffects()
            ),
            (
                World(verification: .mismatch, answer: 200, legacyVerdict: .accepted),
                LoginEffects(guardFailure: true, releaseRate: true), LoginEffects(disagreement: true)
            ),
            // Sent for legacy's verdict: the rate token is held until the
            // answer; a yes spends it and clears failures, a no counts one.
            (World(verification: awaiting, legacyVerdict: .accepted), LoginEffects(), LoginEffects(guardSuccess: true)),
            (
                World(verification: awaiting, legacyVerdict: .rejected), LoginEffects(),
                LoginEffects(guardFailure: true, releaseRate: true)
            ),
            (
                World(verification: awaiting, answer: 500, legacyVerdict: .unclear), LoginEffects(),
                LoginEffects(releaseRate: true)
            ),
        ] as [(World, LoginEffects, LoginEffects)])
    func effects(_ world: World, _ atForward: LoginEffects, _ afterAnswer: LoginEffects) {
        #expect(Self.journey(world).effects == [atForward, afterAnswer])
    }
}
