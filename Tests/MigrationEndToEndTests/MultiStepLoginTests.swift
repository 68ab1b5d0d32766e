import FerryDemo
import FerryTestSupport
import Foundation
import PasswordHashes
import Testing

/// A login flow whose steps share one path: the password grant at
/// `/oauth/token` answers `mfa_required` with an `mfa_token`, and the MFA OTP
/// grant, posted to the same path with that token and a code but no
/// credentials, finishes it — at the platform that issued the token.
@Suite(.serialized) struct MultiStepLoginTests {
    static let client = OAuthClient(id: "spa", secret: "spa-secret")

    static func world() async throws -> MigrationWorld {
        try await MigrationWorld(target: .scim, users: 6, legacyOAuthClients: [client]) { config in
            // Nobody migrates: the flow stays on legacy, where it began.
            config.rolloutPercent = 0
            config.migrationExtra = MigrationWorld.tokenLoginRoute + #"later_step_fields = ["mfa_token"]"#
        }
    }

    static func json(_ reply: MigrationWorld.Reply) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(reply.body.utf8))) as? [String: Any] ?? [:]
    }

    static let grant = [("client_id", client.id), ("client_secret", client.secret)]

    /// The password grant for a TOTP user: legacy asks for the code.
    static func passwordStep(_ world: MigrationWorld) async throws -> (DemoSeed.Credential, String) {
        let user = try #require(world.credentials.first { $0.totpSecret != nil })
        let first = try await world.send(
            .POST, world.base + "/oauth/token",
            form: [("grant_type", "password"), ("username", user.username), ("password", user.password)] + grant)
        #expect(first.status == 403 && json(first)["error"] as? String == "mfa_required", "\(first)")
        return (user, try #require(json(first)["mfa_token"] as? String, "\(first)"))
    }

    @Test(.timeLimit(.minutes(3))) func theOTPStepReachesThePlatformThatIssuedItsToken() async throws {
        try await Self.world().running { world in
            let (user, token) = try await Self.passwordStep(world)
            let grant = Self.grant

            let code = TOTP(secret: try #require(Base32.decode(user.totpSecret!))).code(at: Date())
            let second = try await world.send(
                .POST, world.base + "/oauth/token",
                form: [("grant_type", LegacyPlatform.mfaOTPGrant), ("mfa_token", token), ("otp", code)] + grant)
            #expect(second.status == 200 && Self.json(second)["access_token"] is String, "\(second)")

            // A token nobody issued through Ferry, and no identifier: legacy answers it.
            let stray = try await world.send(
                .POST, world.base + "/oauth/token",
                form: [("grant_type", LegacyPlatform.mfaOTPGrant), ("mfa_token", "made-up"), ("otp", "123456")] + grant)
            #expect(stray.status == 403 && Self.json(stray)["error"] as? String == "expired_token", "\(stray)")

            // Neither credentials nor a later step's field: still refused here.
            let neither = try await world.send(
                .POST, world.base + "/oauth/token", form: [("grant_type", "refresh_token")] + grant)
            #expect(neither.status == 400, "\(neither)")

            // What the log and metrics show holds no token.
            world.server.flushAccessLog()
            let log = try String(contentsOfFile: world.accessLogPath, encoding: .utf8)
            #expect(!log.contains(token))
            #expect(!(try await world.metrics()).contains(token))
        }
    }

    /// The user migrates between the two steps (another login, on another
    /// tab): the token is legacy's, so the OTP step still goes to legacy —
    /// by the user alone it would go to the new platform, which never issued
    /// it.
    @Test(.timeLimit(.minutes(3))) func aMigrationBetweenTheStepsDoesNotStrandTheFlow() async throws {
        try await Self.world().running { world in
            let (user, token) = try await Self.passwordStep(world)
            let grant = Self.grant

            try await OperationsTests.reload(world) { $0.rolloutPercent = 100 }
            _ = try await world.login(user.username, user.password)
            #expect(try await world.record(user.username)?.state == .migrated)

            let code = TOTP(secret: try #require(Base32.decode(user.totpSecret!))).code(at: Date())
            let second = try await world.send(
                .POST, world.base + "/oauth/token",
                form: [
                    ("grant_type", LegacyPlatform.mfaOTPGrant), ("mfa_token", token), ("otp", code),
                    ("username", user.username),
                ] + grant)
            #expect(second.status == 200 && Self.json(second)["access_token"] is String, "\(second)")
        }
    }
}
