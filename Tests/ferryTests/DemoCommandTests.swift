import Foundation
import Testing

/// `ferry demo --walkthrough` end to end: both sample platforms and Ferry on
/// real ports, the tour's requests answered as it says.
struct DemoCommandTests {
    @Test(.timeLimit(.minutes(3))) func walkthroughMigratesUsersAndShowsEachStep() async throws {
        let base = Int.random(in: 20_000...40_000)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-demo-test-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await CommandLineTests.ferry([
            "demo", "--walkthrough", "--exit-after-walkthrough", "--users", "24", "--port-base", String(base),
            "--data-dir", directory.path,
        ])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let out = run.stdout
        #expect(out.contains("legacy hash scheme: bcrypt"))
        #expect(out.contains("POST /login → 303, session from the new platform"))
        #expect(out.contains("the new platform on its own accepts the same password → 303"))
        #expect(out.contains("password → 200 (code asked by the new platform), code → 303 (the new platform)"))
        #expect(out.contains("terms-of-service version 2019-03 for web: granted"))
        #expect(out.contains("GET /account with legacy_session → 200 (the legacy account page)"))
        #expect(out.contains("POST /login → 401 from legacy"))
        #expect(out.contains(#""changed_keys":["migration.rollout_percent"]"#))
        #expect(out.contains("(not migrated) → session from the legacy platform"))
        #expect(out.contains("(migrated) → session from the new platform"))
        #expect(out.contains(#"{destination="new",reason="just_migrated"} 2"#))
        // A $vault$ hash: legacy's answer to the forwarded login migrates its user.
        #expect(out.contains("legacy hash scheme: unknown to Ferry"))
        #expect(out.contains("POST /login → 303, session from the legacy platform (the login went to legacy as sent)"))
        #expect(out.contains("legacy signed them in, so Ferry migrated them: the new platform alone → 303"))
        #expect(out.contains(#"{destination="legacy",reason="migrated_by_answer"} 1"#))
        for format in [
            "md5 hex", "salted sha1", "django pbkdf2_sha256", "bcrypt $2y$", "phpass $P$", "sha512-crypt $6$",
            "vault (opaque: legacy's answer decides)",
        ] {
            #expect(out.contains(format), "credentials list lacks \(format)")
        }
        // The generated config is a valid proxy.conf.
        let check = try await CommandLineTests.ferry([
            "check-config", directory.appendingPathComponent("proxy.conf").path,
        ])
        #expect(check.status == 0, "stderr: \(check.stderr)")
    }
}
