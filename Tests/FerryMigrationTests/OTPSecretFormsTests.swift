import FerryConfig
import Foundation
import GRDB
import PasswordHashes
import Testing

@testable import FerryMigration

/// The sql target hands a TOTP secret over in the form the new table stores,
/// so no statement re-encodes it in SQL.
struct OTPSecretFormsTests {
    /// RFC 6238's SHA-1 seed, "12345678901234567890".
    static let seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

    @Test(arguments: [
        (
            "ada@example.com", "Example Shop",
            "otpauth://totp/Example%20Shop:ada%40example.com?secret=\(seed)&issuer=Example%20Shop&algorithm=SHA1&digits=6&period=30"
        ),
        ("grace", nil, "otpauth://totp/grace?secret=\(seed)&algorithm=SHA1&digits=6&period=30"),
        (
            "a:b/c?d", "x&y",
            "otpauth://totp/x%26y:a%3Ab%2Fc%3Fd?secret=\(seed)&issuer=x%26y&algorithm=SHA1&digits=6&period=30"
        ),
    ])
    func everyForm(account: String, issuer: String?, uri: String) throws {
        let forms = try #require(OTPSecretForms(.init(secret: Self.seed), account: account, issuer: issuer))
        #expect(forms.base32 == Self.seed)
        #expect(forms.hex == "3132333435363738393031323334353637383930")
        #expect(forms.base64 == "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=")
        #expect(forms.uri == uri)
    }

    /// Hex is lowercase (the seed above has no letters in hex to tell).
    @Test func hexIsLowercase() throws {
        let forms = try #require(
            OTPSecretForms(.init(secret: Base32.encode([0xab, 0xcd, 0xef, 0x01])), account: "ada", issuer: nil))
        #expect(forms.hex == "abcdef01")
    }

    @Test func aSecretThatIsNotBase32HasNoForms() {
        #expect(OTPSecretForms(.init(secret: "not base32!"), account: "ada", issuer: nil) == nil)
    }

    /// Through a real SQLite table: each column gets its form, and each form
    /// decodes to the same key.
    @Test func theSQLTargetWritesEachForm() async throws {
        try await withTemporarySQLite(
            """
            CREATE TABLE accounts (id TEXT PRIMARY KEY, external_id TEXT UNIQUE, email TEXT);
            CREATE TABLE totp (account_id TEXT, b32 TEXT, hex TEXT, b64 TEXT, uri TEXT, digits INTEGER);
            """
        ) { path, database in
            let settings = try sqlTargetSettings(
                database: path,
                """
                statements = ["INSERT INTO accounts (id, external_id, email) VALUES (:new_id, :legacy_id, :email)"]
                totp_statements = ["INSERT INTO totp VALUES (:new_id, :totp_secret_base32, :totp_secret_hex, :totp_secret_base64, :totp_uri, :totp_digits)"]
                totp_issuer = "Example Shop"
                """)
            let job = ProvisioningJob(
                identity: CanonicalIdentity(
                    legacyID: "7", username: "ada", email: "ada@example.com",
                    credential: .init(passwordHash: "$argon2id$x", legacyScheme: "md5-hex"),
                    mfa: .init(totp: [.init(secret: Self.seed, digits: 8)])))
            guard case .created = try await SQLTarget(settings: settings).provision(job) else {
                Issue.record("the job creates the user")
                return
            }
            let row = try #require(try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM totp") })
            let key = Array("12345678901234567890".utf8)
            #expect(Base32.decode(row["b32"] as String) == key)
            #expect(Hex.decode(row["hex"] as String) == key)
            #expect(Data(base64Encoded: row["b64"] as String).map(Array.init) == key)
            #expect(
                (row["uri"] as String).hasPrefix("otpauth://totp/Example%20Shop:ada%40example.com?secret=\(Self.seed)"))
            #expect((row["uri"] as String).contains("digits=8"))
            #expect(row["digits"] as Int == 8)
        }
    }
}
