import FerryConfig
import FerryStore
import Foundation
import PasswordHashes

/// A login on its way: where the proxy sends it, and the machine waiting for
/// the upstream's answer (`MigrationEngine.finishLogin`).
public struct LoginJourney: Sendable {
    public let outcome: LoginOutcome
    var machine: LoginMachine
    /// Normalized.
    let identifier: String
    let client: String?
    /// When the guard counted this login's wrong password, to take it back if
    /// legacy accepts the login after all.
    var failureCountedAt: Date?
    /// For a login going to the new platform: the name the user was
    /// provisioned under, so the new platform is asked about that account
    /// whatever variant was typed (" Ada", "ADA"); nil when unknown.
    public var newLogin: String?
    /// What the executor learned on the way (the legacy account, the fit of
    /// its factors), for a login that goes on after legacy's answer.
    var work: LoginWork
    /// Kept only while legacy's verdict is awaited: rehashed if it is yes.
    let password: String?
    /// `[legacy.answer]`'s rules when the login began.
    public let answerRules: AnswerRules

    /// The proxy must read legacy's answer for the rules (its body too, when
    /// one reads JSON).
    public var readsLegacyAnswer: Bool { outcome.destination == .legacy && !answerRules.isEmpty }
}

/// What the executor carries between actions: data, never decisions.
struct LoginWork {
    var account: LegacyAccount?
    /// The legacy account as `checkLegacy` found it, so that verifying does
    /// not read it twice; nil when it was not looked up.
    var checked: LegacyAccount??
    /// The provisioned login name from the user's record.
    var recordedLogin: String?
    /// Why the account is held on legacy (`PrivilegeHold`), once verified.
    var holdReason: String?
    var scheme: String?
    var fit: MFAFit = .carried
    var newHash = ""
    var job: ProvisioningJob?
    var jobID: Int64 = 0
}

/// The one place a login's actions are done. `LoginMachine` decides; this runs
/// each action against the guard, the rate, the store, the legacy source, the
/// hash workers and the target, and feeds back what happened.
extension MigrationEngine {
    var machineSettings: LoginMachine.Settings {
        LoginMachine.Settings(
            mode: settings.mode, overLimit: guardSettings.overLimit, storeFailure: storeFailure,
            legacyFailureStatuses: Set(guardSettings.legacyFailureStatuses),
            unknownIdentifier: settings.unknownIdentifier, unknownToBoth: settings.unknownToBoth)
    }

    /// Decides where a login goes, doing on the way what the decision needs.
    /// `identifier` is as the customer typed it; `client` is the client's
    /// address for the brute-force guard.
    public func beginLogin(identifier raw: String, password: String, client: String? = nil) async -> LoginJourney {
        let identifier = normalizer.normalize(raw)
        var machine = LoginMachine(settings: machineSettings)
        var work = LoginWork()
        let verdict = services.loginGuard.check(
            identifier: normalizer.guardKey(identifier), client: client, settings: guardSettings,
            at: services.clock())
        if case .blocked(let scope, _) = verdict {
            logger.notice("login over the failure limit", metadata: ["scope": "\(scope)"])
        }
        let first = machine.next(
            .started(identifierIsEmpty: identifier.isEmpty, guard: verdict, storeIsOpen: services.store != nil))
        switch await run(
            first, machine: &machine, work: &work, identifier: identifier, password: password, client: client)
        {
        case .handedOver(let outcome, let counted):
            let newLogin: String? =
                switch outcome.reason {
                case .new(.justMigrated): work.job?.identity.loginName
                case .new(.migrated): work.recordedLogin
                default: nil
                }
            let awaiting = outcome.reason == .legacy(.awaitingAnswer)
            return LoginJourney(
                outcome: outcome, machine: machine, identifier: identifier, client: client,
                failureCountedAt: counted, newLogin: newLogin, work: work, password: awaiting ? password : nil,
                answerRules: answerRules)
        case .settled, .over:
            return LoginJourney(
                outcome: .legacy(.storeUnavailable), machine: machine, identifier: identifier, client: client,
                work: work, password: nil, answerRules: answerRules)
        }
    }

    /// How a run of actions ended.
    private enum RunEnd {
        /// Sent to an upstream (or refused here), with when a failure was counted.
        case handedOver(LoginOutcome, counted: Date?)
        /// Legacy's verdict decided the outcome.
        case settled(LoginOutcome)
        case over(LoginEffects)
    }

    /// Does what the machine says until it hands the login over or ends it.
    private func run(
        _ first: LoginAction, machine: inout LoginMachine, work: inout LoginWork, identifier: String,
        password: String, client: String?
    ) async -> RunEnd {
        var action = first
        while true {
            switch action {
            case .lookUp:
                action = machine.next(
                    await storing { store in
                        let record = try await store.record(for: identifier)
                        work.recordedLogin = record?.newLogin
                        return .lookedUp(record?.state, eligibility.evaluate(identifier))
                    })
            case .checkLegacy:
                var known: Bool?
                // A source that cannot answer says nothing: the login takes the
                // usual path, where the failure is handled.
                if let source, let account = try? await Self.lookUp(identifier, in: source) {
                    work.checked = .some(account)
                    known = account != nil
                }
                action = machine.next(.legacyChecked(known: known))
            case .askNew:
                // The lookup and the decoy's hash run side by side, so the answer
                // takes about what a known user's verification takes.
                let decoy = services.decoy.decoy(for: identifier)
                let catalog = catalog
                let pool = services.hashPool
                async let hashed: Void = {
                    _ = try? await pool.run { catalog.verify(password: password, hash: decoy.0, salt: decoy.1) }
                }()
                let holds = await target?.holdsUser(identifier)
                await hashed
                action = machine.next(.newAnswered(holds: holds))
            case .reserveRate:
                action = machine.next(.rateReserved(services.rateLimiter.take(settings, at: services.clock())))
            case .verify:
                var verification: Verification
                (verification, work.account, work.scheme) = await verify(
                    identifier: identifier, password: password, checked: work.checked)
                if let account = work.account {
                    // A right password of a privileged account: held, with the rule named.
                    let hold = PrivilegeHold.reason(
                        roles: account.roles, attributes: account.attributes, rules: settings.holdOnLegacy,
                        targetCarriesRoles: targetSettings?.carriesRoles ?? true)
                    switch verification {
                    case .match(let fit):
                        work.fit = fit
                        work.holdReason = hold
                        if hold != nil { verification = .held }
                    case .awaitingAnswer(.match(let fit)):
                        work.fit = fit
                        work.holdReason = hold
                        if hold != nil { verification = .awaitingAnswer(ifAccepted: .held) }
                    default: break
                    }
                }
                action = machine.next(.verified(verification, accountFound: work.account != nil))
            case .recordSeen:
                let account = work.account
                action = machine.next(
                    await storing { store in
                        _ = try await store.seen(
                            identifier, legacyID: account?.legacyID, legacyScheme: work.scheme, at: services.clock())
                        return .seenRecorded
                    })
            case .rehash:
                action = machine.next(.rehashed(await rehash(password, into: &work)))
            case .claim:
                action = machine.next(
                    await storing { store in .claimed(try await claim(identifier, work: &work, store: store)) })
            case .provision:
                guard let target, let job = work.job else {
                    action = machine.next(.provisioned(.unavailable("no target")))
                    continue
                }
                if work.fit == .reenroll { services.events(.mfaNotCarried(policy: "require_reenroll")) }
                let outcome = await target.provision(job)
                services.events(.provisioning(via: "login", result: outcome.label))
                action = machine.next(.provisioned(outcome))
            case .recordProvisioning(let outcome):
                action = machine.next(
                    await storing { store in
                        guard let job = work.job, let targetSettings else { return .provisioningRecorded }
                        try await Outbox.record(
                            outcome, job: job, jobID: work.jobID, identifier: identifier, attempt: 0, via: "login",
                            targetSettings: targetSettings, store: store, clock: services.clock, logger: logger)
                        return .provisioningRecorded
                    })
            case .note(let reason):
                action = machine.next(
                    await storing { store in
                        try await note(
                            reason, identifier: identifier, account: work.account, holdReason: work.holdReason,
                            store: store)
                        return .noted
                    })
            case .forward(let outcome, let effects), .refuse(let outcome, let effects):
                let counted = apply(effects, identifier: identifier, client: client)
                // A login sent for legacy's verdict is counted once, by what
                // the verdict led to.
                if outcome.reason != .legacy(.awaitingAnswer) {
                    services.events(.login(outcome))
                    services.tally.add(outcome, at: services.clock())
                }
                return .handedOver(outcome, counted: counted)
            case .settle(let outcome, let effects):
                apply(effects, identifier: identifier, client: client)
                services.events(.login(outcome))
                services.tally.add(outcome, at: services.clock())
                return .settled(outcome)
            case .finish(let effects):
                apply(effects, identifier: identifier, client: client)
                return .over(effects)
            }
        }
    }

    /// The upstream answered a forwarded login (nil: nothing came back).
    /// For a login sent for legacy's verdict, this is where the user migrates
    /// (or the failure is counted); returns the outcome that verdict settled.
    @discardableResult
    public func finishLogin(_ journey: LoginJourney, answer: LoginAnswer?) async -> LoginOutcome? {
        var machine = journey.machine
        var work = journey.work
        let verdict = journey.outcome.destination == .legacy ? journey.answerRules.verdict(answer) : nil
        let first = machine.next(.answered(status: answer?.status, verdict: verdict))
        let end = await run(
            first, machine: &machine, work: &work, identifier: journey.identifier, password: journey.password ?? "",
            client: journey.client)
        switch end {
        case .settled(let outcome):
            return outcome
        case .handedOver(let outcome, _):
            // A login is forwarded once; the machine settles whatever follows an answer.
            assertionFailure("login forwarded again after its answer: \(outcome.label)")
            return nil
        case .over(let effects):
            if effects.disagreement {
                if let counted = journey.failureCountedAt {
                    services.loginGuard.withdrawFailure(
                        identifier: normalizer.guardKey(journey.identifier), client: journey.client, at: counted)
                }
                services.events(.disagreement)
                logger.warning(
                    "legacy accepted a login whose password Ferry judged wrong; check the hash format, the identifier's case and user_query"
                )
            }
            return nil
        }
    }

    /// Decides where a login goes, for callers that do not forward it
    /// themselves (tests, tools): no upstream answer is ever fed back, so
    /// only Ferry's own verdicts count for the brute-force guard.
    public func route(identifier: String, password: String, client: String? = nil) async -> LoginOutcome {
        await beginLogin(identifier: identifier, password: password, client: client).outcome
    }

    /// Applies the in-memory effects; returns when a failure was counted.
    @discardableResult
    private func apply(_ effects: LoginEffects, identifier: String, client: String?) -> Date? {
        let now = services.clock()
        if effects.guardFailure {
            services.loginGuard.recordFailure(
                identifier: normalizer.guardKey(identifier), client: client, settings: guardSettings, at: now)
        }
        // Where "Ada" and "ada" are two people sharing one folded budget, one's
        // right password must not wipe failures counted against the other:
        // there the failures age out of the window instead.
        if effects.guardSuccess && normalizer.foldsCase {
            services.loginGuard.recordSuccess(identifier: normalizer.guardKey(identifier))
        }
        if effects.releaseRate { services.rateLimiter.release(settings) }
        return effects.guardFailure ? now : nil
    }

    /// Runs one store call; a failure is logged once and becomes `.storeFailed`.
    private func storing(_ body: (any StateStore) async throws -> LoginEvent) async -> LoginEvent {
        guard let store = services.store else { return .storeFailed }
        do {
            return try await body(store)
        } catch {
            logger.error(
                "state store unavailable; login not migrated",
                metadata: ["policy": "\(storeFailure.rawValue)", "error": "\(databaseErrorSummary(error))"])
            return .storeFailed
        }
    }

    /// What sending a login to legacy for `reason` leaves in the store.
    private func note(
        _ reason: LegacyReason, identifier: String, account: LegacyAccount?, holdReason: String?,
        store: any StateStore
    ) async throws {
        let now = services.clock()
        switch reason {
        case .wrongPassword:
            try await store.recordFailedLogin(identifier, at: now)
        case .shadow:
            try await store.recordWouldMigrate(identifier, at: now)
        case .mfaKeptOnLegacy:
            let names = (account?.factorsNotCarried(targetHolds: targetSettings?.mfaFactors ?? []) ?? [])
                .joined(separator: ",")
            services.events(.mfaNotCarried(policy: "keep_on_legacy"))
            try await store.markFailed(
                identifier, state: .skipped, reason: "MFA factors that cannot be carried: \(names)", closingJob: nil,
                audit: ["policy": "keep_on_legacy", "factors": names], at: now)
        case .heldOnLegacy:
            try await store.markFailed(
                identifier, state: .skipped, reason: holdReason ?? "held on legacy", closingJob: nil,
                audit: ["policy": "hold_on_legacy"],
                at: now)
        default:
            break
        }
    }

    // MARK: Verify

    /// The account or nil, wrapped so that `try?` keeps "no such user" apart
    /// from "the source failed".
    private static func lookUp(_ identifier: String, in source: any LegacySource) async throws -> LegacyAccount?? {
        .some(try await source.account(for: identifier))
    }

    /// The verification, the legacy account when there is one, and the legacy
    /// scheme when the hash could be read.
    private func verify(identifier: String, password: String, checked: LegacyAccount??) async -> (
        Verification, LegacyAccount?, String?
    ) {
        guard let source else { return (.sourceUnavailable, nil, nil) }
        let account: LegacyAccount?
        do {
            if let checked {
                account = checked
            } else {
                account = try await source.account(for: identifier)
            }
        } catch .ambiguous {
            logger.notice("user_query matched several legacy users; the login goes to legacy unjudged")
            let decoy = services.decoy.decoy(for: identifier)
            let catalog = catalog
            _ = try? await services.hashPool.run { catalog.verify(password: password, hash: decoy.0, salt: decoy.1) }
            return (.ambiguousIdentifier, nil, nil)
        } catch {
            logger.warning("legacy source unavailable; login forwarded to legacy", metadata: ["error": "\(error)"])
            return (.sourceUnavailable, nil, nil)
        }
        let catalog = catalog
        guard let account, account.active else {
            // The same hash work as a real user, so response time does not tell
            // who exists or who is disabled.
            let decoy = account.map { ($0.passwordHash, $0.verificationSalt) } ?? services.decoy.decoy(for: identifier)
            _ = try? await services.hashPool.run { catalog.verify(password: password, hash: decoy.0, salt: decoy.1) }
            return account == nil ? (.unknownUser, nil, nil) : (.disabledUser, account, nil)
        }
        if account.judgedByLegacy, let judge = source as? any LegacyPasswordJudge {
            return await judged(by: judge, account: account, password: password)
        }
        let result: VerificationResult
        let seconds: Double
        do {
            (result, seconds) = try await services.hashPool.run {
                let started = ContinuousClock.now
                let result = catalog.verify(
                    password: password, hash: account.passwordHash, salt: account.verificationSalt,
                    username: account.username)
                return (result, Self.seconds(ContinuousClock.now - started))
            }
        } catch {
            return (.hashQueueFull, account, nil)
        }
        if case .error = result {
        } else {
            services.decoy.record(.init(hash: account.passwordHash, salt: account.verificationSalt, seconds: seconds))
        }
        switch result {
        case .match(let scheme):
            let fit = MFAPolicy.fit(
                notCarried: account.factorsNotCarried(targetHolds: targetSettings?.mfaFactors ?? []),
                policy: settings.unsupportedMFA)
            return (.match(fit), account, scheme)
        case .mismatch(let scheme): return (.mismatch, account, scheme)
        case .error(let error):
            logger.notice("legacy hash unusable; login forwarded to legacy", metadata: ["reason": "\(error.code)"])
            return (.unusableHash, account, nil)
        }
    }

    /// The legacy platform's own answer (an LDAP bind as the customer): its
    /// lockout counters advance on a wrong password as they would without
    /// Ferry, and an outage is never taken for a wrong password.
    private func judged(by judge: any LegacyPasswordJudge, account: LegacyAccount, password: String) async -> (
        Verification, LegacyAccount?, String?
    ) {
        switch await judge.judge(account, password: password) {
        case .accepted:
            let fit = MFAPolicy.fit(
                notCarried: account.factorsNotCarried(targetHolds: targetSettings?.mfaFactors ?? []),
                policy: settings.unsupportedMFA)
            return (.match(fit), account, judge.judgementScheme)
        case .rejected: return (.mismatch, account, judge.judgementScheme)
        case .unavailable: return (.sourceUnavailable, account, nil)
        case .deferred:
            let fit = MFAPolicy.fit(
                notCarried: account.factorsNotCarried(targetHolds: targetSettings?.mfaFactors ?? []),
                policy: settings.unsupportedMFA)
            return (.awaitingAnswer(ifAccepted: .match(fit)), account, judge.judgementScheme)
        }
    }

    // MARK: Provision

    private func rehash(_ password: String, into work: inout LoginWork) async -> LoginEvent.RehashOutcome {
        guard target != nil, targetSettings != nil, services.sealer != nil, work.account != nil else {
            // check-config requires both in migrate mode; a reload cannot remove them
            // without failing validation, so this is a broken deployment, not a login.
            logger.error("migrate mode without a target or state key; login forwarded to legacy")
            return .noTarget
        }
        let rehasher = rehasher
        do {
            work.newHash = try await services.hashPool.run { () -> String? in try? rehasher.hash(password) } ?? ""
        } catch {
            return .queueFull
        }
        return work.newHash.isEmpty ? .failed : .hashed
    }

    private func claim(_ identifier: String, work: inout LoginWork, store: any StateStore) async throws
        -> ProvisioningClaim
    {
        guard let account = work.account, let targetSettings, let sealer = services.sealer else {
            return .notEligible(.legacy)
        }
        let identity = canonicalIdentity(
            account, newHash: work.newHash, scheme: work.scheme ?? "unknown", fit: work.fit,
            holds: Set(targetSettings.mfaFactors))
        let job = ProvisioningJob(identity: identity)
        let now = services.clock()
        let lease = now.addingTimeInterval(Self.seconds(targetSettings.timeout) + 5)
        let claim = try await store.claimProvisioning(
            identifier, job: sealer.seal(job, identifier: identifier), at: now, leaseUntil: lease)
        if case .claimed(let id) = claim {
            work.job = job
            work.jobID = id
        }
        return claim
    }
}
