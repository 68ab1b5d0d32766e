import AsyncHTTPClient
import FerryTestSupport
import Foundation
import NIOHTTP1
import PasswordHashes
import Testing

@testable import FerryDemo

@Suite(.serialized) struct NewPlatformTests {
    static let token = "scim-test-token"
    static let secret = Array("12345678901234567890".utf8)

    static func user(_ name: String, password: String = "pässword 9", totp: Bool = true) throws -> [String: Any] {
        var parameters = RehashParameters()
        parameters.argon2MemoryKiB = 64
        parameters.argon2Iterations = 1
        let phc = try Rehasher(parameters: parameters).hash(password)
        var mfa: [String: Any] = ["reenrollRequired": false, "recoveryCodes": [WebForms.tokenHash("rescue-1")]]
        if totp { mfa["totp"] = [["secret": Base32.encode(secret), "digits": 6, "period": 30, "algorithm": "SHA1"]] }
        return [
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User", NewPlatform.migrationSchema,
            ],
            "externalId": "legacy-\(name)", "userName": name, "name": ["givenName": "Ada", "familyName": "Lovelace"],
            "emails": [["value": "\(name)@example.com", "primary": true, "verified": true]],
            NewPlatform.migrationSchema: [
                "passwordHash": phc, "legacyScheme": "bcrypt", "mfa": mfa,
                "consents": [
                    [
                        "purpose": "marketing-email", "client": "web", "version": "2019-03", "granted": true,
                        "grantedAt": "2019-03-14T09:26:53Z",
                    ],
                    [
                        "purpose": "analytics", "client": "ios", "version": "v4", "granted": false,
                        "grantedAt": "2021-07-01T00:00:00Z",
                    ],
                ],
            ],
        ]
    }

    static func withPlatform(_ body: (NewPlatform, PlatformServer, TestClock) async throws -> Void) async throws {
        let clock = TestClock()
        let platform = try NewPlatform(path: temporaryDatabase("new"), scimToken: token, clock: clock.now)
        let server = try await PlatformServer { platform.router() }
        do { try await body(platform, server, clock) } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
    }

    @Test func scimNeedsTheBearerToken() async throws {
        try await Self.withPlatform { _, server, _ in
            let anonymous = try await server.send(.POST, "/scim/v2/Users", json: try Self.user("ada"))
            #expect(anonymous.status == 401)
            let wrong = try await server.send(.POST, "/scim/v2/Users", json: try Self.user("ada"), bearer: "nope")
            #expect(wrong.status == 401)
            #expect(try await server.send(.GET, "/scim/v2/Users?filter=userName%20eq%20%22ada%22").status == 401)
        }
    }

    @Test func scimCreateGetAndConflict() async throws {
        try await Self.withPlatform { _, server, _ in
            let created = try await server.send(.POST, "/scim/v2/Users", json: try Self.user("ada"), bearer: Self.token)
            #expect(created.status == 201)
            let resource = try JSONSerialization.jsonObject(with: Data(created.body.utf8)) as! [String: Any]
            let id = try #require(resource["id"] as? String)
            #expect(created.location == "/scim/v2/Users/\(id)")
            #expect(resource["externalId"] as? String == "legacy-ada")
            #expect(!created.body.contains("argon2id"), "the password hash never leaves the platform")
            #expect(!created.body.contains(Base32.encode(Self.secret)), "nor the TOTP secret")

            let fetched = try await server.send(.GET, "/scim/v2/Users/\(id)", bearer: Self.token)
            #expect(fetched.status == 200)
            let extensionObject =
                (try JSONSerialization.jsonObject(with: Data(fetched.body.utf8)) as! [String: Any])[
                    NewPlatform.migrationSchema] as! [String: Any]
            #expect((extensionObject["mfa"] as! [String: Any])["totpEnrolled"] as? Bool == true)
            #expect((extensionObject["consents"] as! [[String: Any]]).count == 2)

            let listed = try await server.send(
                .GET, "/scim/v2/Users?filter=userName%20eq%20%22ada%22", bearer: Self.token)
            #expect(listed.body.contains("\"totalResults\":1"))

            let duplicate = try await server.send(
                .POST, "/scim/v2/Users", json: try Self.user("ADA"), bearer: Self.token)
            #expect(duplicate.status == 409)
            #expect(duplicate.body.contains("\"scimType\":\"uniqueness\""))
            #expect(try await server.send(.GET, "/scim/v2/Users/nope", bearer: Self.token).status == 404)
        }
    }

    @Test func scimRefusesWhatItCannotStore() async throws {
        try await Self.withPlatform { _, server, _ in
            var user = try Self.user("bob")
            var migration = user[NewPlatform.migrationSchema] as! [String: Any]
            migration["passwordHash"] = "$2b$12$GhvMmNVjRW29ulnudl.LbuAnUtN/LRfe1JsBm1Xu6LE3059z5Tr8m"
            user[NewPlatform.migrationSchema] = migration
            let reply = try await server.send(.POST, "/scim/v2/Users", json: user, bearer: Self.token)
            #expect(reply.status == 400)
            #expect(reply.body.contains("argon2id"))
            let empty = try await server.send(.POST, "/scim/v2/Users", json: ["schemas": []], bearer: Self.token)
            #expect(empty.status == 400)
        }
    }

    @Test func provisionedUserLogsInWithTheirPasswordAndTOTP() async throws {
        try await Self.withPlatform { _, server, clock in
            _ = try await server.send(.POST, "/scim/v2/Users", json: try Self.user("ada"), bearer: Self.token)
            #expect(
                try await server.send(.POST, "/login", form: ["username": "ada", "password": "wrong"]).status == 401)
            let first = try await server.send(
                .POST, "/login", form: ["username": "ada@example.com", "password": "pässword 9"])
            #expect(first.status == 200)
            let pending = try #require(first.cookies["new_mfa"])
            let code = TOTP(secret: Self.secret).code(at: clock.date)
            let second = try await server.send(.POST, "/login/mfa", form: ["code": code], cookies: ["new_mfa": pending])
            #expect(second.status == 303)
            let session = try #require(second.cookies["new_session"])
            let account = try await server.send(.GET, "/account", cookies: ["new_session": session])
            #expect(account.body.contains("TOTP enrolled"))
            #expect(account.body.contains("marketing-email version 2019-03 for web: granted 2019-03-14T09:26:53Z"))
            #expect(account.body.contains("analytics version v4 for ios: refused 2021-07-01T00:00:00Z"))
            clock.advance(3601)
            #expect(try await server.send(.GET, "/account", cookies: ["new_session": session]).status == 401)
        }
    }
}
