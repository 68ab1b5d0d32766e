import FerryConfig
import FerryStore
import Foundation
import GRDB
import Testing

@testable import FerryMigration

/// A factor is carried with the state its authenticator store keeps, from the
/// legacy row to the target's parameters, and a malformed value is named.
struct MFAStateTests {
    /// RFC 6238's SHA-1 seed in base32.
    static let seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

    /// One `mfa_query` row per case, through real SQLite (`SELECT … AS …`), and
    /// what it reads as.
    @Test(arguments: [
        (
            "SELECT 'totp' AS kind, '\(seed)' AS secret, 8 AS digits, 60 AS period, 'sha-256' AS algorithm, 'Work phone' AS label, 0 AS confirmed, 29000000 AS last_used_step, -1 AS drift, 30 AS t0, 2 AS window, '2023-01-02 03:04:05.123456' AS created_at, 1740000000 AS last_used_at",
            CanonicalIdentity.MFA(totp: [
                .init(
                    secret: seed, digits: 8, period: 60, algorithm: "SHA256", label: "Work phone", confirmed: false,
                    lastUsedStep: 29_000_000, drift: -1, t0: 30, window: 2,
                    createdAt: Date(timeIntervalSince1970: 1_672_628_645.123456),
                    lastUsedAt: Date(timeIntervalSince1970: 1_740_000_000))
            ])
        ),
        // Only the time of the last accepted code: its step is still known.
        (
            "SELECT '\(seed)' AS secret, '1740000015' AS last_used_at",
            .init(totp: [
                .init(
                    secret: seed, lastUsedStep: 58_000_000, lastUsedAt: Date(timeIntervalSince1970: 1_740_000_015))
            ])
        ),
        (
            "SELECT 'hotp' AS kind, '\(seed)' AS secret, '42' AS counter, 'Key fob' AS label, 't' AS confirmed, 10 AS window",
            .init(hotp: [.init(secret: seed, counter: 42, label: "Key fob", window: 10)])
        ),
        (
            "SELECT 'recovery_code' AS kind, 'digest-1' AS code, 'yes' AS used, '2024-05-01T10:00:00Z' AS used_at",
            .init(recoveryCodes: [
                .init(code: "digest-1", used: true, usedAt: Date(timeIntervalSince1970: 1_714_557_600))
            ])
        ),
        // A used-at time alone means used.
        (
            "SELECT 'recovery_code' AS kind, 'digest-2' AS code, 1714557600 AS used_at",
            .init(recoveryCodes: [
                .init(code: "digest-2", used: true, usedAt: Date(timeIntervalSince1970: 1_714_557_600))
            ])
        ),
        (
            "SELECT 'webauthn' AS kind, 'cred' AS credential_id, 'pk' AS public_key, 17 AS sign_count, 'usb, nfc' AS transports, 'aaguid-1' AS aaguid, 'YubiKey' AS label, 1 AS backup_eligible, 0 AS backed_up",
            .init(webauthn: [
                .init(
                    credentialID: "cred", publicKey: "pk", signCount: 17, transports: ["usb", "nfc"],
                    aaguid: "aaguid-1",
                    label: "YubiKey", backupEligible: true, backedUp: false)
            ])
        ),
        (
            "SELECT 'sms' AS kind, '+15550100' AS phone, 0 AS verified, 'Mobile' AS label",
            .init(phones: [.init(number: "+15550100", verified: false, label: "Mobile")])
        ),
        // A store with no `verified` column: the phone became a factor once proved.
        ("SELECT 'phone' AS kind, '+15550100' AS phone", .init(phones: [.init(number: "+15550100", verified: true)])),
    ])
    func aRowReadsAsItsFactor(query: String, expected: CanonicalIdentity.MFA) async throws {
        var mfa = CanonicalIdentity.MFA()
        let row = try #require(try DatabaseQueue().read { db in try Row.fetchOne(db, sql: query) })
        try LegacyRows.addFactor(QueryRow(row), to: &mfa, encoding: .base32, of: "7")
        #expect(mfa == expected)
    }

    /// A value that is there but unreadable is an error naming the column and
    /// the user, and never shows the value.
    @Test(arguments: [
        (
            "SELECT '\(seed)' AS secret, 'six' AS digits",
            "column `digits` of a totp factor of legacy user 7 is not a whole number"
        ),
        (
            "SELECT '\(seed)' AS secret, 4 AS digits",
            "column `digits` of a totp factor of legacy user 7 must be 6 to 10"
        ),
        (
            "SELECT '\(seed)' AS secret, 'MD5' AS algorithm",
            "column `algorithm` of a totp factor of legacy user 7 must be SHA1, SHA256 or SHA512"
        ),
        (
            "SELECT '\(seed)' AS secret, 1.5 AS last_used_step",
            "column `last_used_step` of a totp factor of legacy user 7 is not a whole number"
        ),
        (
            "SELECT '\(seed)' AS secret, 0 AS period",
            "column `period` of a totp factor of legacy user 7 must be above 0"
        ),
        (
            "SELECT '\(seed)' AS secret, 'maybe' AS confirmed",
            "column `confirmed` of a totp factor of legacy user 7 is not a boolean (1/0, true/false)"
        ),
        ("SELECT 'hotp' AS kind, '\(seed)' AS secret", "a hotp factor of legacy user 7 has no `counter` column"),
        (
            "SELECT 'hotp' AS kind, 'not base32!' AS secret, 1 AS counter",
            "a hotp factor of legacy user 7 has no readable `secret` (base32)"
        ),
        (
            "SELECT 'recovery_code' AS kind, 'c' AS code, 2 AS used",
            "column `used` of a recovery_code factor of legacy user 7 is not a boolean (1/0, true/false)"
        ),
    ])
    func anUnreadableValueIsNamed(query: String, message: String) throws {
        var mfa = CanonicalIdentity.MFA()
        let row = try #require(try DatabaseQueue().read { db in try Row.fetchOne(db, sql: query) })
        #expect(throws: LegacySourceError.badRow(message)) {
            try LegacyRows.addFactor(QueryRow(row), to: &mfa, encoding: .base32, of: "7")
        }
        #expect(mfa == .init(), "nothing half-read is kept")
    }

    /// A job sealed before factors had state still opens, with the defaults.
    @Test func aRecordSealedBeforeFactorStateStillOpens() throws {
        let old = """
            {"totp":[{"secret":"\(Self.seed)","digits":6,"period":30,"algorithm":"SHA1"}],
             "recoveryCodes":["digest-1"],"webauthn":[{"credentialID":"c","publicKey":"p","signCount":3,"transports":[]}],
             "phones":["+15550100"],"reenrollRequired":false}
            """
        let mfa = try JSONDecoder().decode(CanonicalIdentity.MFA.self, from: Data(old.utf8))
        #expect(
            mfa
                == .init(
                    totp: [.init(secret: Self.seed)], recoveryCodes: [.init(code: "digest-1")],
                    webauthn: [.init(credentialID: "c", publicKey: "p", signCount: 3)],
                    phones: [.init(number: "+15550100")]))
    }

    /// Through a real target table: every piece of state reaches its column.
    @Test func theSQLTargetWritesEveryFactorsState() async throws {
        try await withTemporarySQLite(
            """
            CREATE TABLE accounts (id TEXT PRIMARY KEY, external_id TEXT UNIQUE);
            CREATE TABLE otp (account_id TEXT, type TEXT, secret TEXT, label TEXT, confirmed INTEGER, last_step INTEGER,
                drift INTEGER, t0 INTEGER, window INTEGER, counter INTEGER, created TEXT, last_used REAL, uri TEXT);
            CREATE TABLE codes (account_id TEXT, code TEXT, used INTEGER, used_at TEXT, digest TEXT);
            CREATE TABLE keys (account_id TEXT, id TEXT, pk TEXT, count INTEGER, transports TEXT, aaguid TEXT, label TEXT,
                be INTEGER, bs INTEGER, created INTEGER);
            CREATE TABLE phones (account_id TEXT, number TEXT, verified INTEGER, label TEXT);
            """
        ) { path, database in
            let settings = try sqlTargetSettings(
                database: path,
                """
                date_format = "sql"
                statements = ["INSERT INTO accounts (id, external_id) VALUES (:new_id, :legacy_id)"]
                totp_statements = ["INSERT INTO otp (account_id, type, secret, label, confirmed, last_step, drift, t0, window, created, last_used) VALUES (:new_id, 'totp', :totp_secret, :totp_label, :totp_confirmed, :totp_last_used_step, :totp_drift, :totp_t0, :totp_window, :totp_created_at, :totp_last_used_at_unix)"]
                hotp_statements = ["INSERT INTO otp (account_id, type, secret, label, counter, window, uri) VALUES (:new_id, 'hotp', :hotp_secret_hex, :hotp_label, :hotp_counter, :hotp_window, :hotp_uri)"]
                recovery_code_statements = ["INSERT INTO codes VALUES (:new_id, :recovery_code, :recovery_code_used, :recovery_code_used_at_iso8601, :recovery_code_sha256)"]
                webauthn_statements = ["INSERT INTO keys VALUES (:new_id, :webauthn_credential_id, :webauthn_public_key, :webauthn_sign_count, :webauthn_transports, :webauthn_aaguid, :webauthn_label, :webauthn_backup_eligible, :webauthn_backed_up, :webauthn_created_at_unix)"]
                phone_statements = ["INSERT INTO phones VALUES (:new_id, :mfa_phone, :mfa_phone_verified, :mfa_phone_label)"]
                """)
            #expect(settings.mfaFactors == [.hotp, .phone, .recoveryCodes, .totp, .webauthn])
            let created = Date(timeIntervalSince1970: 1_672_628_645.123456)
            let job = ProvisioningJob(
                identity: CanonicalIdentity(
                    legacyID: "7", username: "ada", credential: .init(passwordHash: "h", legacyScheme: "md5"),
                    mfa: .init(
                        totp: [
                            .init(
                                secret: Self.seed, label: "Work phone", confirmed: false, lastUsedStep: 58_000_000,
                                drift: 1, t0: 0, window: 1, createdAt: created,
                                lastUsedAt: Date(timeIntervalSince1970: 1_740_000_015))
                        ], hotp: [.init(secret: Self.seed, counter: 42, label: "Key fob", window: 10)],
                        recoveryCodes: [
                            .init(code: "d1"),
                            .init(code: "d2", used: true, usedAt: Date(timeIntervalSince1970: 1_714_557_600)),
                        ],
                        webauthn: [
                            .init(
                                credentialID: "cred", publicKey: "pk", signCount: 17, transports: ["usb", "nfc"],
                                aaguid: "aa", label: "YubiKey", backupEligible: true, backedUp: false,
                                createdAt: Date(timeIntervalSince1970: 1_700_000_000))
                        ], phones: [.init(number: "+15550100", verified: false, label: "Mobile")])))
            guard case .created = try await SQLTarget(settings: settings).provision(job) else {
                Issue.record("the job creates the user")
                return
            }
            try await database.read { db in
                let totp = try #require(try Row.fetchOne(db, sql: "SELECT * FROM otp WHERE type = 'totp'"))
                #expect(totp["secret"] as String == Self.seed)
                #expect(totp["label"] as String == "Work phone")
                #expect(totp["confirmed"] as Int == 0)
                #expect(totp["last_step"] as Int64 == 58_000_000)
                #expect(totp["drift"] as Int == 1)
                #expect(totp["window"] as Int == 1)
                #expect(totp["created"] as String == "2023-01-02 03:04:05.123456")
                #expect(totp["last_used"] as Double == 1_740_000_015)
                let hotp = try #require(try Row.fetchOne(db, sql: "SELECT * FROM otp WHERE type = 'hotp'"))
                #expect(hotp["secret"] as String == "3132333435363738393031323334353637383930")
                #expect(hotp["counter"] as Int == 42)
                #expect(hotp["window"] as Int == 10)
                #expect((hotp["uri"] as String).hasPrefix("otpauth://hotp/ada?secret=\(Self.seed)"))
                #expect((hotp["uri"] as String).hasSuffix("&counter=42"))
                let codes = try Row.fetchAll(db, sql: "SELECT code, used, used_at, digest FROM codes ORDER BY code")
                #expect(
                    codes.map { $0["digest"] as String } == [
                        "8b53639f152c8fc6ef30802fde462ba0be9cf085f7580dc69efd72e002abbb35",
                        "e788103ee15318fcd2af9b73b4ebbb33a903b020de7b307d71f5fed0f433e548",
                    ])
                #expect(codes.map { $0["used"] as Int } == [0, 1])
                #expect(codes.map { $0["used_at"] as String? } == [nil, "2024-05-01T10:00:00.000000Z"])
                let key = try #require(try Row.fetchOne(db, sql: "SELECT * FROM keys"))
                #expect(key["count"] as Int == 17)
                #expect(key["transports"] as String == "usb,nfc")
                #expect(key["aaguid"] as String == "aa")
                #expect(key["be"] as Int == 1)
                #expect(key["bs"] as Int == 0)
                #expect(key["created"] as Double == 1_700_000_000)
                let phone = try #require(try Row.fetchOne(db, sql: "SELECT * FROM phones"))
                #expect(phone["verified"] as Int == 0)
                #expect(phone["label"] as String == "Mobile")
            }
        }
    }

    /// SCIM and webhook carry the same state.
    @Test func scimAndWebhookCarryTheState() throws {
        let identity = CanonicalIdentity(
            legacyID: "7", username: "ada", credential: .init(passwordHash: "h", legacyScheme: "md5"),
            mfa: .init(
                totp: [.init(secret: Self.seed, label: "Work phone", lastUsedStep: 58_000_000, drift: -1)],
                hotp: [.init(secret: Self.seed, counter: 42)], recoveryCodes: [.init(code: "d2", used: true)],
                phones: [.init(number: "+15550100", verified: false)]))
        let scim = SCIMTarget.resource(identity)
        let mfa = try #require((scim[SCIMTarget.extensionSchema] as? [String: Any])?["mfa"] as? [String: Any])
        let totp = try #require((mfa["totp"] as? [[String: Any]])?.first)
        #expect(totp["label"] as? String == "Work phone")
        #expect(totp["lastUsedStep"] as? Int64 == 58_000_000)
        #expect(totp["drift"] as? Int == -1)
        #expect(totp["window"] == nil, "absent when legacy did not say")
        #expect((mfa["hotp"] as? [[String: Any]])?.first?["counter"] as? Int64 == 42)
        #expect((mfa["recoveryCodes"] as? [[String: Any]])?.first?["used"] as? Bool == true)
        #expect((mfa["phones"] as? [[String: Any]])?.first?["verified"] as? Bool == false)

        let body = try #require(
            try JSONSerialization.jsonObject(with: WebhookTarget.body(ProvisioningJob(identity: identity)))
                as? [String: Any])
        let user = try #require(body["user"] as? [String: Any])
        let webhookMFA = try #require(user["mfa"] as? [String: Any])
        let webhookTOTP = try #require((webhookMFA["totp"] as? [[String: Any]])?.first)
        #expect(webhookTOTP["last_used_step"] as? Int == 58_000_000)
        #expect(webhookTOTP["label"] as? String == "Work phone")
        #expect((webhookMFA["hotp"] as? [[String: Any]])?.first?["counter"] as? Int == 42)
        #expect((webhookMFA["recovery_codes"] as? [[String: Any]])?.first?["used"] as? Bool == true)
        #expect((webhookMFA["phones"] as? [[String: Any]])?.first?["verified"] as? Bool == false)
    }
}
