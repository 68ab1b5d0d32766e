import FerryConfig
import Foundation

/// Turns what a customer typed into the key Ferry knows them by. Applied the
/// same way everywhere (login, reset, sign-up checks), so identifiers that differ
/// only in case, surrounding whitespace or Unicode form are one user.
public struct IdentifierNormalizer: Sendable {
    public let steps: [MigrationSettings.IdentifierNormalization]

    public init(steps: [MigrationSettings.IdentifierNormalization]) {
        self.steps = steps
    }

    public func normalize(_ identifier: String) -> String {
        var value = identifier
        for step in steps {
            switch step {
            case .trim:
                value = value.trimmingCharacters(in: .whitespacesAndNewlines)
            case .casefold:
                value = Self.fold(value)
            case .nfkc:
                value = value.precomposedStringWithCompatibilityMapping
            }
        }
        return value
    }

    /// Full case folding ("Straße" and "STRASSE" meet), not just lowercasing.
    static func fold(_ value: String) -> String {
        value.folding(options: [.caseInsensitive], locale: nil).lowercased()
    }

    /// Whether identifiers that differ only in case are one user here.
    public var foldsCase: Bool { steps.contains(.casefold) }

    /// The brute-force guard's key for a normalized identifier: folded even
    /// where legacy tells "Ada" from "ada". Legacy stores that keep usernames
    /// case-sensitive still match emails whatever their case, so without the
    /// fold every case variant of an email would get a fresh failure budget.
    /// Folding only ever merges budgets, so the guard gets stricter, never
    /// weaker.
    public func guardKey(_ normalized: String) -> String { Self.fold(normalized) }
}
