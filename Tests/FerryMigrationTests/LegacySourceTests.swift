import FerryConfig
import Foundation
import GRDB
import PasswordHashes
import Testing

@testable import FerryMigration

@Suite struct LegacySourceTests {
    static func database() throws -> String {
        let path = NSTemporaryDirectory() + "legacy-source-\(UUID().uuidString).db"
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE members (uid INTEGER PRIMARY KEY, login TEXT, mail TEXT, pw TEXT, pw_salt TEXT, state TEXT,
                        first TEXT, joined TEXT);
                    CREATE TABLE factors (uid INTEGER, type TEXT, secret TEXT, digits INTEGER, code TEXT, cred TEXT,
                        pk TEXT, phone TEXT);
                    CREATE TABLE grants (uid INTEGER, purpose TEXT, version TEXT, ok INTEGER, at REAL);
                    INSERT INTO members VALUES (7, 'ada', 'ada@example.com', 'abc', 'salt', 'ACTIVE', 'Ada', '2019-03-01T10:00:00Z');
                    INSERT INTO members VALUES (8, 'bob', 'bob@example.com', 'def', NULL, 'locked', 'Bob', NULL);
                    INSERT INTO factors VALUES (7, 'totp', '3132333435363738393031323334353637383930', 8, NULL, NULL, NULL, NULL);
                    INSERT INTO factors VALUES (7, 'recovery_code', NULL, NULL, 'hashed-code', NULL, NULL, NULL);
                    INSERT INTO factors VALUES (7, 'webauthn', NULL, NULL, NULL, 'cred-1', 'pk-1', NULL);
                    INSERT INTO factors VALUES (7, 'sms', NULL, NULL, NULL, NULL, NULL, '+15550100');
                    INSERT INTO grants VALUES (7, 'tos', '3', 1, 1600000000);
                    INSERT INTO grants VALUES (7, 'marketing', 'v1', 0, 1600000100.5);
                    """)
        }
        return path
    }

    static let userQuery =
        "SELECT uid AS legacy_id, login AS username, mail AS email, pw AS password_hash, pw_salt AS salt, state AS status, first AS given_name, joined AS created_at FROM members WHERE lower(mail) = :identifier OR lower(login) = :identifier"

    static func settings(_ path: String, mfa: String? = nil, user: String = userQuery) throws -> LegacySourceSettings {
        let mfaQuery =
            mfa
            ?? "SELECT type AS kind, secret, digits, code, cred AS credential_id, pk AS public_key, phone FROM factors WHERE uid = :legacy_id"
        let text = """
            [server]
            listen = "127.0.0.1:0"
            [legacy]
            database = "sqlite://\(path)"
            user_query = "\(user)"
            mfa_query = "\(mfaQuery)"
            consents_query = "SELECT purpose, version, ok AS granted, at AS granted_at FROM grants WHERE uid = :legacy_id"
            active_statuses = ["active"]
            totp_secret_encoding = "hex"
            """
        return try #require(try ProxyConfig.parse(text, file: "t.conf", baseDirectory: "/tmp").legacy)
    }

    @Test func aliasesMapOntoTheCanonicalRecord() async throws {
        let source = try SQLiteLegacySource(settings: try Self.settings(try Self.database()))
        let ada = try #require(try await source.account(for: "ada@example.com"))
        #expect(ada.legacyID == "7")
        #expect(ada.username == "ada")
        #expect(ada.salt == "salt")
        #expect(ada.active, "status comparison ignores case")
        #expect(ada.profile.givenName == "Ada")
        #expect(ada.createdAt == ISO8601DateFormatter().date(from: "2019-03-01T10:00:00Z"))
        // RFC 6238's SHA-1 seed "12345678901234567890", stored as hex, carried as base32.
        #expect(ada.mfa.totp == [.init(secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", digits: 8)])
        #expect(ada.mfa.recoveryCodes == [.init(code: "hashed-code")])
        #expect(ada.mfa.webauthn.map(\.credentialID) == ["cred-1"])
        #expect(ada.mfa.phones == [.init(number: "+15550100")])
        #expect(ada.factorKinds == [.totp, .recoveryCodes, .webauthn, .phone])
        #expect(ada.consents.map(\.purpose) == ["tos", "marketing"])
        #expect(ada.consents.map(\.granted) == [true, false])
        #expect(ada.consents[1].at == Date(timeIntervalSince1970: 1_600_000_100.5))

        let bob = try #require(try await source.account(for: "bob"))
        #expect(!bob.active)
        #expect(bob.mfa == .init())
        #expect(try await source.account(for: "nobody") == nil)
    }

    @Test func badRowsAndMissingDatabasesAreNamed() async throws {
        let path = try Self.database()
        let source = try SQLiteLegacySource(
            settings: try Self.settings(path, mfa: "SELECT 'u2f' AS kind FROM factors WHERE uid = :legacy_id"))
        await #expect(
            throws: LegacySourceError.badRow(
                "mfa_query returned kind \"u2f\" for legacy user 7; expected totp, hotp, recovery_code, webauthn or phone"
            )
        ) {
            try await source.account(for: "ada")
        }
        #expect(throws: LegacySourceError.self) {
            try SQLiteLegacySource(settings: try Self.settings(path + ".missing"))
        }
        let broken = try Self.settings(path, user: "SELECT * FROM missing_table WHERE x = :identifier")
        let failing = try SQLiteLegacySource(settings: broken)
        await #expect(throws: LegacySourceError.unavailable("no such table: missing_table")) {
            try await failing.account(for: "ada")
        }
    }

    /// A case-insensitive query over a case-sensitive store finds "Ada" and
    /// "ada": Ferry picks neither.
    @Test func severalMatchingUsersAreAmbiguous() async throws {
        try await withTemporarySQLite(
            """
            CREATE TABLE u (id INTEGER PRIMARY KEY, username TEXT UNIQUE, pw TEXT);
            INSERT INTO u (username, pw) VALUES ('Ada', 'h1'), ('ada', 'h2'), ('bob', 'h3');
            """
        ) { path, _ in
            let text = """
                [server]
                listen = "127.0.0.1:0"
                [legacy]
                database = "sqlite://\(path)"
                user_query = "SELECT id AS legacy_id, username, pw AS password_hash FROM u WHERE lower(username) = :identifier"
                """
            let settings = try #require(try ProxyConfig.parse(text, file: "t.conf", baseDirectory: "/tmp").legacy)
            let source = try SQLiteLegacySource(settings: settings)
            await #expect(throws: LegacySourceError.ambiguous) { try await source.account(for: "ada") }
            #expect(try await source.account(for: "bob")?.legacyID == "3")
        }
    }

    @Test func jobsAreSealedToTheirUser() throws {
        let sealer = try JobSealer(key: secureRandomBytes(32))
        let job = ProvisioningJob(
            identity: CanonicalIdentity(
                legacyID: "7", email: "ada@example.com",
                credential: .init(passwordHash: "$argon2id$…", legacyScheme: "md5"),
                mfa: .init(totp: [.init(secret: "GEZDGNBVGY3TQOJQ")])))
        let sealed = sealer.seal(job, identifier: "ada@example.com")
        #expect(!String(decoding: sealed, as: UTF8.self).contains("GEZDGNBVGY3TQOJQ"))
        #expect(sealer.open(sealed, identifier: "ada@example.com") == job)
        #expect(sealer.open(sealed, identifier: "bob@example.com") == nil)
        #expect(try JobSealer(key: secureRandomBytes(32)).open(sealed, identifier: "ada@example.com") == nil)
    }
}
