import FerryConfig
import Testing

@testable import FerryMigration

struct IdentifierNormalizerTests {
    static let all = IdentifierNormalizer(steps: [.trim, .casefold, .nfkc])

    @Test(arguments: [
        ("  Ada@Example.COM \n", "ada@example.com"),
        ("ADA@EXAMPLE.COM", "ada@example.com"),
        ("｡ｄａ@example.com".replacingOccurrences(of: "｡", with: "Ａ"), "ada@example.com"),  // full-width letters
        ("e\u{0301}lise@example.com", "\u{00e9}lise@example.com"),  // decomposed é
        ("\u{00c9}LISE@example.com", "\u{00e9}lise@example.com"),
        ("ﬁona@example.com", "fiona@example.com"),  // the "fi" ligature
        ("Straße", "strasse"), ("STRASSE", "strasse"),  // full case folding, not lowercasing
    ])
    func variantsMeetAtOneKey(input: String, expected: String) {
        #expect(Self.all.normalize(input) == expected)
    }

    @Test func stepsCanBeLeftOut() {
        #expect(IdentifierNormalizer(steps: [.trim]).normalize("  Ada ") == "Ada")
        #expect(IdentifierNormalizer(steps: []).normalize("  Ada ") == "  Ada ")
    }

    /// Case-sensitive identifiers stay apart as users, but share one failure
    /// budget in the brute-force guard.
    @Test func guardKeysFoldWhereIdentifiersDoNot() {
        let caseSensitive = IdentifierNormalizer(steps: [.trim, .nfkc])
        let ada = caseSensitive.normalize(" Ada@Example.com")
        #expect(ada == "Ada@Example.com")
        #expect(!caseSensitive.foldsCase && Self.all.foldsCase)
        #expect(caseSensitive.guardKey(ada) == "ada@example.com")
        #expect(caseSensitive.guardKey(caseSensitive.normalize("ADA@EXAMPLE.COM")) == "ada@example.com")
        #expect(caseSensitive.guardKey("STRASSE") == caseSensitive.guardKey("Straße"))
    }

    @Test func normalizingTwiceChangesNothing() {
        for input in ["  Ada@Example.COM", "e\u{0301}lise", "ﬁona", "STRASSE"] {
            let once = Self.all.normalize(input)
            #expect(Self.all.normalize(once) == once)
        }
    }
}
