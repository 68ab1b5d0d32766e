import FerryDemo
import FerryTestSupport
import Foundation
import GRDB
import PasswordHashes
import Testing

/// `[legacy.answer] mode = "forwarded"`: users whose hash Ferry cannot read
/// (the sample legacy platform's proprietary `$vault$`) log in at legacy as
/// always — its CSRF-protected form, its 303 back to the sign-in page — and
/// legacy's answer is the verdict: a yes migrates them with what the
/// source holds, a no is counted, anything else concludes nothing.
@Suite(.serialized) struct ForwardedAnswerTests {
    /// Runs `body` in a fresh world and always tears the world down.
    static func inWorld(_ body: (MigrationWorld) async throws -> Void) async throws {
        try await world().running(body)
    }

    static func world(legacyAnswersAfter: Duration = .zero) async throws -> MigrationWorld {
        let world = try await MigrationWorld(
            target: .scim, users: 3,
            legacySignIn: SignInStyle(csrf: true, failureRedirects: true, answersAfter: legacyAnswersAfter)
        ) { config in
            config.legacyExtra = #"verify = "auto""#
            config.legacyTables = """
                [legacy.answer]
                mode = "forwarded"
                # Signed in, or asked for a second factor: the password was right.
                accepted = ["status=303 location=/account cookie=legacy_session", "status=200 cookie=legacy_mfa"]
                rejected = ["status=303 location=/login"]
                """
        }
        _ = try world.legacy.addUser(
            LegacyUser(
                username: "vera", email: "vera@example.com", passwordHash: LegacyPlatform.vaultHash("vault pass")))
        _ = try world.legacy.addUser(
            LegacyUser(
                username: "otto", email: "otto@example.com", passwordHash: LegacyPlatform.vaultHash("otto pass"),
                totp: TOTP(secret: Array("12345678901234567890".utf8)), totpLabel: "Otto's phone",
                consents: [
                    Consent(
                        purpose: "newsletter", client: "web", version: "3", granted: true,
                        grantedAt: Date(timeIntervalSince1970: 1_700_000_000))
                ]))
        return world
    }

    /// The customer's browser: the sign-in page first (its pre-login cookie
    /// and form token), then the form posted with both.
    static func signIn(
        _ world: MigrationWorld, _ username: String, _ password: String, token: Bool = true
    ) async throws -> MigrationWorld.Reply {
        let (form, cookies) = try await signInForm(world, username, password, token: token)
        return try await world.send(.POST, world.base + "/login", form: form, cookies: cookies)
    }

    /// The sign-in page's form filled in, and the pre-login cookie to post it with.
    static func signInForm(
        _ world: MigrationWorld, _ username: String, _ password: String, token: Bool = true
    ) async throws -> (form: [(String, String)], cookies: [String: String]) {
        let page = try await world.send(.GET, world.base + "/login")
        let prelogin = try #require(page.cookies["legacy_prelogin"])
        var form = [("username", username), ("password", password)]
        if token, let value = formToken(in: page.body) { form.insert(("authenticity_token", value), at: 0) }
        return (form, ["legacy_prelogin": prelogin])
    }

    /// Posts the sign-in form and hangs up before legacy has answered, as a
    /// customer closing the tab on a slow sign-in does.
    static func signInAndLeave(_ world: MigrationWorld, _ username: String, _ password: String) async throws {
        let (form, cookies) = try await signInForm(world, username, password)
        let post = Task { try await world.send(.POST, world.base + "/login", form: form, cookies: cookies) }
        try await Task.sleep(for: .milliseconds(300))
        post.cancel()
        if case .success = await post.result {
            Issue.record("the answer came before the customer left; the test proves nothing")
        }
    }

    /// Checks `condition` every 100 ms for up to 15 s.
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<150 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    static func formToken(in html: String) -> String? {
        guard let range = html.range(of: #"name="authenticity_token" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    static func failedLogins(_ world: MigrationWorld, _ username: String) throws -> Int? {
        try world.legacy.database.read { db in
            try Int.fetchOne(db, sql: "SELECT failed_logins FROM users WHERE username = ?", arguments: [username])
        }
    }

    @Test(.timeLimit(.minutes(3))) func anOpaqueHashMigratesByLegacysAnswerToTheForwardedLogin() async throws {
        try await Self.inWorld { world in
            // A wrong password: legacy's 303 back to the sign-in page, counted by
            // legacy and by the guard; nothing migrates.
            let wrong = try await Self.signIn(world, "vera", "not it")
            #expect(wrong.status == 303 && wrong.location == "/login?error=1", "\(wrong)")
            #expect(try Self.failedLogins(world, "vera") == 1)
            #expect(try await world.record("vera")?.state != .migrated)
            // Without the form token legacy refuses the post itself (422): no
            // verdict, nothing migrates, nothing is counted.
            let forged = try await Self.signIn(world, "vera", "vault pass", token: false)
            #expect(forged.status == 422, "\(forged)")
            #expect(try await world.record("vera")?.state != .migrated)
            // The right password: legacy signs her in, and she is migrated.
            let right = try await Self.signIn(world, "vera", "vault pass")
            #expect(
                right.status == 303 && right.location == "/account" && right.cookies["legacy_session"] != nil,
                "\(right)")
            #expect(try await world.record("vera")?.state == .migrated)
            #expect(try world.newAccounts("vera").map(\.hashPrefix) == ["$argon2id$v=19$"])
            // Her legacy session keeps working; her next login goes to the new platform.
            let account = try await world.send(
                .GET, world.base + "/account", cookies: ["legacy_session": right.cookies["legacy_session"]!])
            #expect(account.status == 200, "\(account)")
            let next = try await Self.signIn(world, "vera", "vault pass")
            #expect(next.cookies["new_session"] != nil, "\(next)")
            world.server.flushAccessLog()
            let log = try String(contentsOfFile: world.accessLogPath, encoding: .utf8)
            #expect(log.contains("legacy:wrong_password"))
            #expect(log.contains("legacy:answer_unclear"))
            #expect(log.contains("legacy:migrated_by_answer"))
            #expect(log.contains("new:migrated"))
            let metrics = try await world.metrics()
            #expect(metrics.contains(#"reason="migrated_by_answer""#))
            let sessions = [right.cookies["legacy_session"], next.cookies["new_session"]].compactMap { $0 }
            try await SecretsCheck.assertNoSecrets(in: world, sessions: sessions)
            for (place, text) in try await SecretsCheck.haystack(of: world)
            where text.contains("vault pass") || text.contains("not it") {
                Issue.record("a password appears in the \(place)")
            }
        }
    }

    /// A customer who closes the tab while legacy is still verifying: legacy
    /// finishes the sign-in (or counts the failure) all the same, and so does
    /// Ferry — it waits for legacy's answer and settles the login by it, so
    /// the user migrates and the guard counts the wrong guess.
    @Test(.timeLimit(.minutes(3))) func aLoginIsSettledWhenTheCustomerLeavesBeforeTheAnswer() async throws {
        try await Self.world(legacyAnswersAfter: .seconds(1.5)).running { world in
            try await Self.signInAndLeave(world, "vera", "not it")
            #expect(try await Self.eventually { try Self.failedLogins(world, "vera") == 1 })
            try await Self.signInAndLeave(world, "vera", "vault pass")
            #expect(try await Self.eventually { try await world.record("vera")?.state == .migrated })
            #expect(try world.newAccounts("vera").map(\.hashPrefix) == ["$argon2id$v=19$"])
            var log = ""
            _ = try await Self.eventually {
                world.server.flushAccessLog()
                log = try String(contentsOfFile: world.accessLogPath, encoding: .utf8)
                return log.contains("legacy:migrated_by_answer")
            }
            #expect(log.contains("legacy:wrong_password"), "the guard counts a guess whose answer nobody read")
            #expect(log.contains("legacy:migrated_by_answer"))
            // She finds herself signed out and signs in again: the new platform.
            let next = try await Self.signIn(world, "vera", "vault pass")
            #expect(next.cookies["new_session"] != nil, "\(next)")
        }
    }

    /// An attacker already signed in at legacy (as themselves) posts a
    /// victim's identifier with a guess: legacy sends them to their own
    /// account, which says nothing about the guess. Credentials in the query
    /// string, which a servlet would read first, are refused.
    @Test(.timeLimit(.minutes(3))) func anAnswerAboutAnotherSessionIsNoVerdict() async throws {
        try await Self.inWorld { world in
            _ = try world.legacy.addUser(
                LegacyUser(
                    username: "mallory", email: "mallory@example.com",
                    passwordHash: LegacyPlatform.vaultHash("mallory pass")))
            let page = try await world.send(.GET, world.legacyServer.url + "/login")
            let prelogin = try #require(page.cookies["legacy_prelogin"])
            let token = try #require(Self.formToken(in: page.body))
            let own = try await world.send(
                .POST, world.legacyServer.url + "/login",
                form: [("authenticity_token", token), ("username", "mallory"), ("password", "mallory pass")],
                cookies: ["legacy_prelogin": prelogin])
            let session = try #require(own.cookies["legacy_session"], "\(own)")
            let guess = try await world.send(
                .POST, world.base + "/login",
                form: [("authenticity_token", token), ("username", "vera"), ("password", "a guess")],
                cookies: ["legacy_prelogin": prelogin, "legacy_session": session])
            #expect(guess.status == 303 && guess.location == "/account", "\(guess)")
            #expect(try await world.record("vera")?.state != .migrated)
            #expect(try world.newAccounts("vera").isEmpty)
            let query = try await world.send(
                .POST, world.base + "/login?username=mallory",
                form: [("authenticity_token", token), ("username", "vera"), ("password", "mallory pass")],
                cookies: ["legacy_prelogin": prelogin])
            #expect(query.status == 400, "\(query)")
            #expect(try await world.record("vera")?.state != .migrated)
        }
    }

    /// A second factor asked for is a right password: the user migrates with
    /// the factor and consent the source holds, and finishes this login on
    /// legacy with the code.
    @Test(.timeLimit(.minutes(3))) func aSecondFactorAskedForMeansTheRightPassword() async throws {
        try await Self.inWorld { world in
            let step = try await Self.signIn(world, "otto", "otto pass")
            #expect(step.status == 200 && step.cookies["legacy_mfa"] != nil, "\(step)")
            #expect(try await world.record("otto")?.state == .migrated)
            let factors = try await world.new.database.read { db in
                try String.fetchAll(
                    db,
                    sql:
                        "SELECT label FROM totp_factors JOIN accounts ON accounts.id = account_id WHERE user_name = 'otto'"
                )
            }
            #expect(factors == ["Otto's phone"])
            let code = TOTP(secret: Array("12345678901234567890".utf8)).code(at: Date())
            let done = try await world.send(
                .POST, world.base + "/login/mfa", form: [("code", code)],
                cookies: ["legacy_mfa": step.cookies["legacy_mfa"]!])
            #expect(done.status == 303 && done.cookies["legacy_session"] != nil, "\(done)")
        }
    }

    /// Hashes Ferry reads are still judged by Ferry (`verify = "auto"`), and
    /// the guard still counts legacy's refusals of those it did not judge.
    @Test(.timeLimit(.minutes(3))) func readableHashesAreStillVerifiedByFerry() async throws {
        try await Self.inWorld { world in
            let user = world.credentials[0]
            let reply = try await Self.signIn(world, user.username, user.password)
            #expect(reply.cookies["new_session"] != nil, "\(reply)")
            world.server.flushAccessLog()
            let log = try String(contentsOfFile: world.accessLogPath, encoding: .utf8)
            #expect(log.contains("new:just_migrated"))
        }
    }

    /// A JSON login answered chunked, with no length (as Spring's Jackson
    /// writer answers): `json:` rules still judge it, and the customer gets
    /// the same JSON.
    @Test(.timeLimit(.minutes(3))) func aChunkedJSONAnswerIsJudgedByItsPointers() async throws {
        let client = OAuthClient(id: "spa", secret: "spa-secret")
        let world = try await MigrationWorld(
            target: .scim, users: 2, legacySignIn: SignInStyle(streamsJSON: true), legacyOAuthClients: [client]
        ) { config in
            config.legacyExtra = #"verify = "auto""#
            config.legacyTables = """
                [legacy.answer]
                mode = "forwarded"
                accepted = ["status=200 json:/access_token"]
                rejected = ["status=403 json:/error=invalid_grant"]
                """
            config.migrationExtra = MigrationWorld.tokenLoginRoute
        }
        _ = try world.legacy.addUser(
            LegacyUser(
                username: "vera", email: "vera@example.com", passwordHash: LegacyPlatform.vaultHash("vault pass")))
        try await world.running { world in
            let grant = [("grant_type", "password"), ("client_id", client.id), ("client_secret", client.secret)]
            let wrong = try await world.send(
                .POST, world.base + "/oauth/token", form: [("username", "vera"), ("password", "nope")] + grant)
            #expect(wrong.status == 403 && wrong.body.contains("invalid_grant"), "\(wrong)")
            #expect(try await world.record("vera")?.state != .migrated)

            let right = try await world.send(
                .POST, world.base + "/oauth/token", form: [("username", "vera"), ("password", "vault pass")] + grant)
            #expect(right.status == 200 && right.body.contains("access_token"), "\(right)")
            #expect(try await world.record("vera")?.state == .migrated)
            #expect(try world.newAccounts("vera").count == 1)
            world.server.flushAccessLog()
            let log = try String(contentsOfFile: world.accessLogPath, encoding: .utf8)
            #expect(log.contains("legacy:wrong_password"))
            #expect(log.contains("legacy:migrated_by_answer"))
        }
    }
}
