import FerryConfig
import FerryStore

/// DESIGN.md's "A login" as one pure state machine, in the manner of
/// AsyncHTTPClient's connection pool: the executor (`LoginExecutor`) feeds it
/// what it learned (`LoginEvent`) and does what it returns (`LoginAction`).
/// Everything a login decides — the brute-force guard's verdict, eligibility,
/// the one rate reservation, verification, the claim, provisioning, the notes
/// kept for legacy reasons, legacy's answer — is decided here, and nothing
/// here does I/O, so a whole journey is a table test.
///
/// The rate is reserved once, before any hash work, and only for a login that
/// could migrate; the token is given back when the login ends without a
/// provisioning having started (a wrong password costs no migration budget).
public struct LoginMachine: Sendable {
    public struct Settings: Equatable, Sendable {
        public var mode: MigrationSettings.MigrationMode
        public var overLimit: LoginGuardSettings.OverLimit
        public var storeFailure: StateSettings.StoreFailurePolicy
        /// Legacy statuses that mean "wrong credentials" when Ferry forwarded a
        /// login unjudged.
        public var legacyFailureStatuses: Set<Int>
        public var unknownIdentifier: MigrationSettings.UnknownIdentifierPolicy
        public var unknownToBoth: MigrationSettings.UnknownToBothPolicy

        public init(
            mode: MigrationSettings.MigrationMode, overLimit: LoginGuardSettings.OverLimit,
            storeFailure: StateSettings.StoreFailurePolicy, legacyFailureStatuses: Set<Int>,
            unknownIdentifier: MigrationSettings.UnknownIdentifierPolicy = .legacy,
            unknownToBoth: MigrationSettings.UnknownToBothPolicy = .legacy
        ) {
            self.mode = mode
            self.overLimit = overLimit
            self.storeFailure = storeFailure
            self.legacyFailureStatuses = legacyFailureStatuses
            self.unknownIdentifier = unknownIdentifier
            self.unknownToBoth = unknownToBoth
        }
    }

    enum State: Equatable, Sendable {
        case initial
        case lookingUp
        /// Does legacy know this identifier at all?
        case checkingLegacy
        /// Does the new platform hold it?
        case askingNew
        case reservingRate
        case verifying
        case recordingSeen
        case rehashing
        case claiming
        case provisioning
        case recordingProvisioning
        case noting(LegacyReason)
        /// Handed to the proxy; waiting for the upstream's answer.
        case forwarded(LoginOutcome)
        case finished
    }

    let settings: Settings
    private(set) var state = State.initial
    private(set) var facts: LoginFacts
    /// A rate token is held for this login.
    private(set) var reserved = false
    /// The target was asked: the token is spent, whatever it answered.
    private(set) var spent = false
    /// Legacy has answered a login sent to it for its verdict
    /// (`awaitingAnswer`): whatever follows settles the outcome, nothing is
    /// forwarded again.
    private(set) var answered = false
    private var pendingOutcome: TargetOutcome?

    public init(settings: Settings) {
        self.settings = settings
        facts = LoginFacts(state: nil, eligibility: .eligible, mode: settings.mode)
    }

    /// Feeds one event; returns the one thing to do next.
    public mutating func next(_ event: LoginEvent) -> LoginAction {
        switch (state, event) {
        case (.initial, .started(let identifierIsEmpty, let verdict, let storeIsOpen)):
            if case .blocked(_, let retryAfter) = verdict {
                switch settings.overLimit {
                case .reject:
                    return end(LoginOutcome(destination: .throttle, reason: .tooManyFailures, retryAfter: retryAfter))
                case .legacy: return forward(.legacy(.throttled))
                }
            }
            if identifierIsEmpty { return forward(.legacy(.noIdentifier)) }
            guard storeIsOpen else { return storeUnavailable() }
            state = .lookingUp
            return .lookUp

        case (.lookingUp, .lookedUp(let migrationState, let eligibility)):
            facts.state = migrationState
            facts.eligibility = eligibility
            // Someone Ferry has never seen may exist only on the new platform
            // (they signed up there): whatever the rollout, they must not be
            // sent to a legacy platform that will never know them.
            if migrationState == nil && settings.unknownIdentifier != .legacy {
                state = .checkingLegacy
                return .checkLegacy
            }
            return reserveOrDecide()

        case (.checkingLegacy, .legacyChecked(let known)):
            guard known == false else { return reserveOrDecide() }
            switch settings.unknownIdentifier {
            case .legacy: return reserveOrDecide()
            case .new: return forward(.new(.newOnly))
            case .lookup:
                state = .askingNew
                return .askNew
            }

        case (.askingNew, .newAnswered(let holds)):
            if holds == true { return forward(.new(.newOnly)) }
            switch settings.unknownToBoth {
            // The executor did the decoy's hash work while it asked (`askNew`).
            case .legacy: return forward(.legacy(.unknownUser))
            case .new: return forward(.new(.unknownToBoth))
            }

        case (.reservingRate, .rateReserved(let granted)):
            if granted {
                reserved = true
            } else {
                facts.eligibility = .ineligible(.rateLimited)
            }
            return decide()

        case (.verifying, .verified(let verification, let accountFound)):
            facts.verification = verification
            if accountFound {
                state = .recordingSeen
                return .recordSeen
            }
            return decide()

        case (.recordingSeen, .seenRecorded):
            return decide()

        case (.rehashing, .rehashed(let result)):
            switch result {
            case .hashed:
                state = .claiming
                return .claim
            case .queueFull: facts.provisioning = .hashQueueFull
            case .failed: facts.provisioning = .rejected
            case .noTarget: facts.provisioning = .targetUnavailable
            }
            return decide()

        case (.claiming, .claimed(let claim)):
            switch claim {
            case .claimed:
                spent = true
                state = .provisioning
                return .provision
            case .alreadyProvisioning: facts.provisioning = .claimLost(.provisioning)
            case .alreadyMigrated: facts.provisioning = .claimLost(.migrated)
            case .notEligible(let state): facts.provisioning = .claimLost(state)
            }
            return decide()

        case (.provisioning, .provisioned(let outcome)):
            pendingOutcome = outcome
            state = .recordingProvisioning
            return .recordProvisioning(outcome)

        case (.recordingProvisioning, .provisioningRecorded):
            facts.provisioning = pendingOutcome?.result
            return decide()

        case (.noting(let reason), .noted):
            return forward(.legacy(reason))

        case (.lookingUp, .storeFailed), (.recordingSeen, .storeFailed), (.claiming, .storeFailed),
            (.recordingProvisioning, .storeFailed), (.noting, .storeFailed):
            return storeUnavailable()

        case (.forwarded(let outcome), .answered(let status, let verdict))
        where outcome.reason == .legacy(.awaitingAnswer):
            answered = true
            switch verdict {
            case .accepted?:
                if case .awaitingAnswer(let ifAccepted)? = facts.verification { facts.verification = ifAccepted }
                return decide()
            case .rejected?:
                facts.verification = .mismatch
                return decide()
            // As for any login sent to legacy: a listed failure status is a
            // wrong password unless a rule says the password was right.
            case _ where status.map(settings.legacyFailureStatuses.contains) == true:
                facts.verification = .mismatch
                return decide()
            case .unclear?, nil:
                // Nothing concluded (a 5xx, a CSRF refusal): nothing migrates.
                state = .finished
                return .settle(.legacy(.answerUnclear), LoginEffects(releaseRate: reserved && !spent))
            }

        case (.forwarded(let outcome), .answered(let status, let verdict)):
            state = .finished
            // A platform refused a login Ferry did not judge itself (legacy for
            // an unmigrated user, the new platform for a migrated or new-only
            // one): a failure for the guard, like a wrong password Ferry saw.
            let judged = outcome.reason == .legacy(.wrongPassword) || outcome.reason == .new(.justMigrated)
            // `[legacy.answer]`'s rules read legacy's answers only; a status
            // listed in `legacy_failure_statuses` is a failure unless the
            // rules say the password was right.
            let statusFailed = status.map(settings.legacyFailureStatuses.contains) == true
            let refused = verdict == .rejected || (verdict != .accepted && statusFailed)
            let failed = !judged && refused
            // Legacy let in a login Ferry judged wrong: Ferry's reading of the
            // record differs from legacy's (a case-sensitive username, a hash
            // Ferry reads differently). Not a guess: the failure is taken back.
            let letIn =
                verdict == .accepted || (verdict == nil && status.map { $0 < 400 && !statusFailed } == true)
            let disagreed = outcome.reason == .legacy(.wrongPassword) && letIn
            return .finish(LoginEffects(guardFailure: failed, disagreement: disagreed))

        case (.finished, .answered):
            // Refused logins are not forwarded; nothing is left to do.
            return .finish(LoginEffects())

        default:
            // An event the state does not expect is a bug in the executor; the
            // safe answer is legacy, where the user still is.
            assertionFailure("login event \(event) in state \(state)")
            return forward(.legacy(.storeUnavailable))
        }
    }

    /// Only a login that could migrate now spends the budget, and it spends
    /// it before any hash work.
    private mutating func reserveOrDecide() -> LoginAction {
        if LoginDecision.next(facts) == .verifyPassword, settings.mode == .migrate {
            state = .reservingRate
            return .reserveRate
        }
        return decide()
    }

    /// What `LoginDecision` says about the facts so far, as an action.
    private mutating func decide() -> LoginAction {
        switch LoginDecision.next(facts) {
        case .verifyPassword:
            state = .verifying
            return .verify
        case .provision:
            state = .rehashing
            return .rehash
        case .forwardToNew(let reason):
            return forward(.new(reason))
        case .forwardToLegacy(let reason):
            if LegacyReason.keptInStore.contains(reason) {
                state = .noting(reason)
                return .note(reason)
            }
            return forward(.legacy(reason))
        }
    }

    private mutating func storeUnavailable() -> LoginAction {
        if answered { return forward(.legacy(.storeUnavailable)) }
        switch settings.storeFailure {
        case .legacy: return forward(.legacy(.storeUnavailable))
        case .reject:
            return end(LoginOutcome(destination: .reject, reason: .legacy(.storeUnavailable)))
        }
    }

    /// Hands the login to the proxy, with what the outcome does to the guard
    /// and the rate at once (so that concurrent guesses see the failure).
    private mutating func forward(_ outcome: LoginOutcome) -> LoginAction {
        if answered {
            // Legacy has already let the customer in (or not); the outcome is
            // what its answer led to. Migrated or not, this login stays on legacy.
            state = .finished
            let settled = outcome.destination == .new ? LoginOutcome.legacy(.migratedByAnswer) : outcome
            return .settle(settled, effects(of: outcome))
        }
        state = .forwarded(outcome)
        return .forward(outcome, effects(of: outcome))
    }

    /// Refused here: nothing is forwarded, the login is over.
    private mutating func end(_ outcome: LoginOutcome) -> LoginAction {
        state = .finished
        return .refuse(outcome, effects(of: outcome))
    }

    private func effects(of outcome: LoginOutcome) -> LoginEffects {
        LoginEffects(
            guardFailure: outcome.reason == .legacy(.wrongPassword),
            // Only a password Ferry verified clears the identifier's failures: a
            // login merely forwarded to the new platform proves nothing yet.
            guardSuccess: outcome.reason == .new(.justMigrated),
            // A login sent for legacy's verdict keeps its token until the answer.
            releaseRate: reserved && !spent && outcome.reason != .legacy(.awaitingAnswer))
    }
}

/// What the executor learned.
public enum LoginEvent: Equatable, Sendable {
    case started(identifierIsEmpty: Bool, guard: GuardVerdict, storeIsOpen: Bool)
    case lookedUp(MigrationState?, Eligibility)
    /// Whether the legacy source has the identifier; nil when it cannot say.
    case legacyChecked(known: Bool?)
    /// Whether the new platform holds the identifier; nil when it cannot say.
    case newAnswered(holds: Bool?)
    case rateReserved(Bool)
    /// `accountFound`: the legacy source has this identifier (active or not).
    case verified(Verification, accountFound: Bool)
    case seenRecorded
    case rehashed(RehashOutcome)
    case claimed(ProvisioningClaim)
    case provisioned(TargetOutcome)
    case provisioningRecorded
    case noted
    /// The store call of the current action failed.
    case storeFailed
    /// The upstream's status, or nil when nothing came back; the verdict of
    /// `[legacy.answer]`'s rules on legacy's answer, nil without rules (or
    /// for the new platform's answers).
    case answered(status: Int?, verdict: AnswerVerdict?)

    public enum RehashOutcome: Equatable, Sendable {
        case hashed
        case queueFull
        /// The rehasher refused the password (it never should).
        case failed
        /// Migrate mode without a target or a state key: a broken deployment.
        case noTarget
    }
}

/// The one thing to do next.
public enum LoginAction: Equatable, Sendable {
    /// Read the user's record and evaluate eligibility.
    case lookUp
    /// Ask the legacy source whether it knows the identifier.
    case checkLegacy
    /// Ask the target whether the new platform holds the identifier, doing a
    /// decoy's hash work meanwhile: an identifier nobody knows must cost what
    /// a known one with a wrong password costs, or response time would tell
    /// who exists on legacy.
    case askNew
    /// Take one migration token, if there is one.
    case reserveRate
    /// Find the legacy account and verify the password (or a decoy's).
    case verify
    /// Note that the identifier belongs to a legacy account.
    case recordSeen
    /// Hash the password for the new platform.
    case rehash
    /// Move the user to `provisioning` and queue the job, atomically.
    case claim
    /// Call the target with the job.
    case provision
    /// Close the job or keep it in the outbox, by what the target said.
    case recordProvisioning(TargetOutcome)
    /// Write what sending the login to legacy for `reason` leaves in the store.
    case note(LegacyReason)
    /// Send the login on; feed back `.answered` with the upstream's status.
    case forward(LoginOutcome, LoginEffects)
    /// Legacy's answer to a login sent for its verdict decided the outcome;
    /// the login is over.
    case settle(LoginOutcome, LoginEffects)
    /// Answer the client here (throttled, or the store down under `reject`).
    case refuse(LoginOutcome, LoginEffects)
    /// The login is over.
    case finish(LoginEffects)
}

/// In-memory consequences of an outcome.
public struct LoginEffects: Equatable, Sendable {
    public var guardFailure = false
    public var guardSuccess = false
    public var releaseRate = false
    /// Ferry judged the password wrong and legacy accepted it.
    public var disagreement = false

    public init(
        guardFailure: Bool = false, guardSuccess: Bool = false, releaseRate: Bool = false, disagreement: Bool = false
    ) {
        self.guardFailure = guardFailure
        self.guardSuccess = guardSuccess
        self.releaseRate = releaseRate
        self.disagreement = disagreement
    }
}

extension LegacyReason {
    /// Reasons whose forwarding leaves a mark in the store.
    static let keptInStore: Set<LegacyReason> = [.wrongPassword, .shadow, .mfaKeptOnLegacy, .heldOnLegacy]
}
