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
                // Full case folding ("Straße" and "STRASSE" meet), not just lowercasing.
                value = value.folding(options: [.caseInsensitive], locale: nil).lowercased()
            case .nfkc:
                value = value.precomposedStringWithCompatibilityMapping
            }
        }
        return value
    }
}
