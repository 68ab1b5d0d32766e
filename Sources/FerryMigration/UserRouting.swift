import FerryStore
import Foundation

/// Flows other than login that must not go around the migration: password
/// resets (by who the user is) and sign-ups (not with an identifier that still
/// lives on legacy).
extension MigrationEngine {
    /// Migrated users' flows go to the new platform; everyone else's to legacy,
    /// except, under `unknown_identifier`, someone legacy does not know (a
    /// password reset of a user who signed up on the new platform). A store
    /// that cannot be read sends the flow to legacy, where the user was.
    public func platform(forUser raw: String) async -> LoginOutcome.Destination {
        let identifier = normalize(raw)
        guard let store = services.store, !identifier.isEmpty else { return .legacy }
        let record: MigrationRecord?
        do {
            record = try await store.record(for: identifier)
        } catch {
            return .legacy
        }
        if record?.state == .migrated { return .new }
        guard record == nil, settings.unknownIdentifier != .legacy, let source else { return .legacy }
        let account: LegacyAccount?
        do {
            account = try await source.account(for: identifier)
        } catch {
            return .legacy
        }
        guard account == nil else { return .legacy }
        if settings.unknownIdentifier == .new { return .new }
        if await target?.holdsUser(identifier) == true { return .new }
        return settings.unknownToBoth == .new ? .new : .legacy
    }

    /// Live legacy sessions and tokens; nil when the store cannot say.
    public func sessionDrain() async -> SessionDrain? {
        try? await services.store?.sessionDrain(at: services.clock())
    }

    /// The answer to a sign-up with these identifiers.
    public enum SignupCheck: Equatable, Sendable {
        /// Nobody on legacy has them, or their owner is already migrated.
        case allowed
        /// An unmigrated legacy user has one of them: a sign-up would create a
        /// second account.
        case livesOnLegacy
        /// Legacy could not be asked.
        case unknown
    }

    public func checkSignup(identifiers raw: [String]) async -> SignupCheck {
        guard let source else { return .unknown }
        // Where legacy tells case apart, the folded form is asked too: most new
        // platforms do not, and a sign-up as "ADA" would take the name that
        // legacy's "ada" needs when she migrates.
        let candidates = raw.map(normalize).flatMap { identifier in
            let folded = normalizer.guardKey(identifier)
            return folded == identifier || normalizer.foldsCase ? [identifier] : [identifier, folded]
        }
        for identifier in candidates where !identifier.isEmpty {
            if let store = services.store, (try? await store.record(for: identifier))??.state == .migrated { continue }
            do {
                guard let account = try await source.account(for: identifier) else { continue }
                if let store = services.store, (try? await store.hasMigrated(legacyID: account.legacyID)) == true {
                    continue
                }
                return .livesOnLegacy
            } catch .ambiguous {
                return .livesOnLegacy
            } catch {
                return .unknown
            }
        }
        return .allowed
    }
}
