import AsyncHTTPClient
import FerryTestSupport
import Foundation
import GRDB
import Logging
import NIOHTTP1
import PasswordHashes
import Testing

@testable import FerryDemo

@Suite(.serialized) struct LegacyPlatformTests {
    static let password = "correct horse 42"

    /// One user per hash format the sample platform holds.
    static let formats: [(String, @Sendable () -> (String, String?))] = [
        ("md5", { (LegacyHashWriter.md5Hex(password), nil) }),
        ("sha1salt", { (LegacyHashWriter.saltedSHA1(password, salt: "pepperoni"), "pepperoni") }),
        ("django", { (LegacyHashWriter.djangoPBKDF2(password, iterations: 1000), nil) }),
        ("bcrypt", { (LegacyHashWriter.bcrypt2y(password, cost: 4)!, nil) }),
        ("phpass", { (LegacyHashWriter.phpass(password, log2Rounds: 7), nil) }),
        ("sha512crypt", { (LegacyHashWriter.sha512Crypt(password)!, nil) }),
    ]

    static func withPlatform(_ body: (LegacyPlatform, PlatformServer, TestClock, LogCapture) async throws -> Void)
        async throws
    {
        let clock = TestClock()
        let capture = LogCapture()
        let platform = try LegacyPlatform(
            path: temporaryDatabase("legacy"), sessionLifetime: 600, clock: clock.now,
            logger: Logger(label: "legacy", factory: capture.handler))
        let server = try await PlatformServer { platform.router() }
        do { try await body(platform, server, clock, capture) } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }

    @Test(arguments: formats.map(\.0))
    func loginWorksForEveryHashFormat(format: String) async throws {
        try await Self.withPlatform { platform, server, _, _ in
            let (hash, salt) = Self.formats.first { $0.0 == format }!.1()
            try platform.addUser(
                LegacyUser(username: format, email: "\(format)@example.com", passwordHash: hash, salt: salt))

            let wrong = try await server.send(.POST, "/login", form: ["username": format, "password": "nope"])
            #expect(wrong.status == 401)
            #expect(wrong.body.contains("Wrong username or password"))
            let failures = try await platform.database.read { db in
                try Int.fetchOne(db, sql: "SELECT failed_logins FROM users WHERE username = ?", arguments: [format])
            }
            #expect(failures == 1)

            let right = try await server.send(
                .POST, "/login", form: ["username": "\(format)@EXAMPLE.com", "password": Self.password])
            #expect(right.status == 303)
            #expect(right.location == "/account")
            let session = try #require(right.cookies["legacy_session"])
            let account = try await server.send(.GET, "/account", cookies: ["legacy_session": session])
            #expect(account.status == 200)
            #expect(account.body.contains(">\(format)<"))
        }
    }

    @Test func disabledUsersAreRefused() async throws {
        try await Self.withPlatform { platform, server, _, _ in
            try platform.addUser(
                LegacyUser(
                    username: "gone", email: "gone@example.com", passwordHash: LegacyHashWriter.md5Hex(Self.password),
                    active: false))
            let reply = try await server.send(.POST, "/login", form: ["username": "gone", "password": Self.password])
            #expect(reply.status == 403)
        }
    }

    @Test func totpUsersNeedTheirCodeOrARecoveryCode() async throws {
        try await Self.withPlatform { platform, server, clock, _ in
            let totp = TOTP(secret: Array("12345678901234567890".utf8))
            try platform.addUser(
                LegacyUser(
                    username: "mfa", email: "mfa@example.com", passwordHash: LegacyHashWriter.md5Hex(Self.password),
                    totp: totp,
                    recoveryCodes: ["recover-1"]))
            let first = try await server.send(.POST, "/login", form: ["username": "mfa", "password": Self.password])
            #expect(first.status == 200)
            #expect(first.cookies["legacy_session"] == nil)
            let pending = try #require(first.cookies["legacy_mfa"])
            let bad = try await server.send(
                .POST, "/login/mfa", form: ["code": "000000"], cookies: ["legacy_mfa": pending])
            #expect(bad.status == 401)
            let good = try await server.send(
                .POST, "/login/mfa", form: ["code": totp.code(at: clock.date)], cookies: ["legacy_mfa": pending])
            #expect(good.status == 303)
            #expect(good.cookies["legacy_session"] != nil)

            let again = try await server.send(.POST, "/login", form: ["username": "mfa", "password": Self.password])
            let recovery = try await server.send(
                .POST, "/login/mfa", form: ["code": "recover-1"], cookies: ["legacy_mfa": again.cookies["legacy_mfa"]!])
            #expect(recovery.status == 303)
            let third = try await server.send(.POST, "/login", form: ["username": "mfa", "password": Self.password])
            let reused = try await server.send(
                .POST, "/login/mfa", form: ["code": "recover-1"], cookies: ["legacy_mfa": third.cookies["legacy_mfa"]!])
            #expect(reused.status == 401, "a recovery code works once")

            // Replay protection: the code already used is refused, at any later moment of its window.
            let fourth = try await server.send(.POST, "/login", form: ["username": "mfa", "password": Self.password])
            let replayed = try await server.send(
                .POST, "/login/mfa", form: ["code": totp.code(at: clock.date)],
                cookies: ["legacy_mfa": fourth.cookies["legacy_mfa"]!])
            #expect(replayed.status == 401, "a TOTP code is accepted once")
            clock.advance(30)
            let next = try await server.send(
                .POST, "/login/mfa", form: ["code": totp.code(at: clock.date)],
                cookies: ["legacy_mfa": fourth.cookies["legacy_mfa"]!])
            #expect(next.status == 303, "the next step's code works")
        }
    }

    /// RFC 6238 section 5.2: a code is accepted once, and after it no code of an
    /// earlier step of the drift window.
    @Test func totpStepsAreAcceptedOnceAndInOrder() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let now = Date(timeIntervalSince1970: 59)
        #expect(totp.acceptedStep(totp.code(at: now), at: now) == 1)
        #expect(totp.acceptedStep(totp.code(at: now), at: now, after: 1) == nil, "replayed")
        let earlier = totp.code(at: Date(timeIntervalSince1970: 29))
        #expect(totp.acceptedStep(earlier, at: now) == 0, "drift: the step before")
        #expect(totp.acceptedStep(earlier, at: now, after: 1) == nil, "not after a later one")
        #expect(totp.acceptedStep("94287082", at: now) == nil, "RFC 6238's 8-digit vector is not a 6-digit code")
    }

    @Test func sessionsExpireAndLogoutEndsThem() async throws {
        try await Self.withPlatform { platform, server, clock, _ in
            try platform.addUser(
                LegacyUser(
                    username: "eve", email: "eve@example.com", passwordHash: LegacyHashWriter.md5Hex(Self.password)))
            let login = try await server.send(.POST, "/login", form: ["username": "eve", "password": Self.password])
            let session = try #require(login.cookies["legacy_session"])
            #expect(try await server.send(.GET, "/account", cookies: ["legacy_session": session]).status == 200)
            clock.advance(601)
            #expect(try await server.send(.GET, "/account", cookies: ["legacy_session": session]).status == 401)

            let second = try await server.send(.POST, "/login", form: ["username": "eve", "password": Self.password])
            let other = try #require(second.cookies["legacy_session"])
            _ = try await server.send(.POST, "/logout", cookies: ["legacy_session": other])
            #expect(try await server.send(.GET, "/account", cookies: ["legacy_session": other]).status == 401)
        }
    }

    @Test func passwordResetReplacesThePassword() async throws {
        try await Self.withPlatform { platform, server, _, capture in
            try platform.addUser(
                LegacyUser(
                    username: "rita", email: "rita@example.com",
                    passwordHash: LegacyHashWriter.phpass(Self.password, log2Rounds: 7)))
            let request = try await server.send(.POST, "/password/reset", form: ["username": "rita@example.com"])
            #expect(request.status == 200)
            let token = try #require(capture.value("reset_token"))
            let confirm = try await server.send(
                .POST, "/password/reset/confirm", form: ["token": token, "password": "brand new secret"])
            #expect(confirm.status == 200)
            #expect(
                try await server.send(.POST, "/login", form: ["username": "rita", "password": Self.password]).status
                    == 401)
            #expect(
                try await server.send(.POST, "/login", form: ["username": "rita", "password": "brand new secret"])
                    .status == 303)
            let reused = try await server.send(
                .POST, "/password/reset/confirm", form: ["token": token, "password": "another one!"])
            #expect(reused.status == 400)
        }
    }
}
