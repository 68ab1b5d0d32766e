import Testing

@testable import FerryConfig
@testable import FerryMigration

@Suite struct EligibilityTests {
    static func policy(
        mode: MigrationSettings.MigrationMode = .migrate, rollout: Double = 100, allow: [String] = [],
        deny: [String] = []
    ) throws -> EligibilityPolicy {
        var settings = try ProxyConfig.parse(
            "[server]\nlisten = \"127.0.0.1:0\"\n", file: "t.conf", baseDirectory: "/tmp"
        ).migration
        settings.mode = mode
        settings.rolloutPercent = rollout
        settings.rolloutSalt = "salt"
        settings.allow = allow
        settings.deny = deny
        return EligibilityPolicy(settings: settings, normalizer: IdentifierNormalizer(steps: settings.normalization))
    }

    @Test(arguments: [
        ("ada@example.com", [String](), [String](), 100.0, Eligibility.eligible),
        ("ada@example.com", [], ["ada@example.com"], 100, .ineligible(.denied)),
        ("ada@example.com", [], ["@example.com"], 100, .ineligible(.denied)),
        ("ada@example.org", [], ["@example.com"], 100, .eligible),
        ("ada@example.com", [], ["a*@*.com"], 100, .ineligible(.denied)),
        ("bob@example.com", [], ["a*@*.com"], 100, .eligible),
        ("ada@example.com", [], ["ad?@example.com"], 100, .ineligible(.denied)),
        // Allow admits its members whatever the rollout; deny wins over allow.
        ("ada@example.com", ["@example.com"], [], 0, .eligible),
        ("ada@example.com", ["@example.com"], ["ada@example.com"], 0, .ineligible(.denied)),
        ("ada@example.com", [], [], 0, .ineligible(.outsideRollout)),
        // Cohort entries are normalized like identifiers.
        ("ada@example.com", [" ADA@Example.com "], [], 0, .eligible),
    ])
    func cohorts(identifier: String, allow: [String], deny: [String], rollout: Double, expected: Eligibility) throws {
        #expect(try Self.policy(rollout: rollout, allow: allow, deny: deny).evaluate(identifier) == expected)
    }

    @Test func modeOffIsNeverEligible() throws {
        #expect(
            try Self.policy(mode: .off, allow: ["ada@example.com"]).evaluate("ada@example.com") == .ineligible(.modeOff)
        )
        #expect(try Self.policy(mode: .shadow).evaluate("ada@example.com") == .eligible)
    }

    /// Raising the percentage keeps everyone already in; the share in is close
    /// to the percentage.
    @Test func rolloutIsStableAndProportional() throws {
        let identifiers = (0..<4000).map { "user\($0)@example.com" }
        var previous = Set<String>()
        for percent in [0.0, 1, 10, 25, 50, 99.99, 100] {
            let policy = try Self.policy(rollout: percent)
            let admitted = Set(identifiers.filter { policy.evaluate($0) == .eligible })
            #expect(previous.isSubset(of: admitted), "raising to \(percent)% kept everyone already in")
            let share = Double(admitted.count) / Double(identifiers.count) * 100
            #expect(abs(share - percent) < 3, "\(percent)% admitted \(share)%")
            previous = admitted
        }
        #expect(previous.count == identifiers.count)
    }

    @Test func bucketsDependOnTheSalt() {
        let a = (0..<200).map { EligibilityPolicy.bucket(of: "u\($0)", salt: "one") }
        let b = (0..<200).map { EligibilityPolicy.bucket(of: "u\($0)", salt: "two") }
        #expect(a != b)
        #expect(a.allSatisfy { (0..<10_000).contains($0) })
    }
}

@Suite struct RolloutBoundaryTests {
    /// A user is in exactly when their bucket is below percent · 100: the
    /// boundary is exact to the hundredth of a percent.
    @Test(arguments: ["ada@example.com", "grace@example.org", "u42", "ken.thompson"])
    func boundary(identifier: String) throws {
        let bucket = EligibilityPolicy.bucket(of: identifier, salt: "salt")
        let atBucket = try EligibilityTests.policy(rollout: Double(bucket) / 100)
        let justAbove = try EligibilityTests.policy(rollout: Double(bucket + 1) / 100)
        #expect(atBucket.evaluate(identifier) == .ineligible(.outsideRollout))
        #expect(justAbove.evaluate(identifier) == .eligible)
    }
}
