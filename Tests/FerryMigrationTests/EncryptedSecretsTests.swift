import FerryConfig
import FerryStore
import Foundation
import Testing

@testable import FerryMigration

/// MFA secrets the application encrypted: Rails Active Record encryption and
/// attr_encrypted's AES-256-GCM. The ciphertexts were made with Python's
/// `cryptography` (AESGCM) and hashlib's PBKDF2, following Rails' own
/// MessageSerializer and KeyGenerator, not with Ferry's code.
struct EncryptedSecretsTests {
    static let primary = "EGY8WhulUOXixybod7ZWwMIL68R9o5kC"
    static let salt = "xEY0dt6TZcAMg52K7O84wYzkjvbA62Hz"

    static func settings(_ tables: String, environment: [String: String]) throws -> LegacySourceSettings {
        let config = try ProxyConfig.parse(
            """
            [server]
            listen = "127.0.0.1:0"
            [legacy]
            database = "sqlite:///tmp/x.db"
            user_query = "SELECT id AS legacy_id, pw AS password_hash FROM u WHERE name = :identifier"
            mfa_query = "SELECT secret, secret_iv FROM otp WHERE user_id = :legacy_id"
            \(tables)
            """, file: "t.conf", baseDirectory: "/tmp", environment: environment)
        return try #require(config.legacy)
    }

    static func rails() throws -> LegacySourceSettings {
        try settings(
            "[legacy.encryption]\nscheme = \"rails\"\nkey_env = \"PRIMARY\"\nkey_derivation_salt_env = \"SALT\"",
            environment: ["PRIMARY": "\(primary)\nold-primary-key-rotated-out-0001", "SALT": salt])
    }

    static func account(_ secret: String, iv: String? = nil, settings: LegacySourceSettings) throws -> LegacyAccount {
        var account = LegacyAccount(
            legacyID: "7", username: "ada", email: nil, emailVerified: false, phone: nil, passwordHash: "x", salt: nil,
            status: nil, active: true, profile: .init(), createdAt: nil, lastLoginAt: nil, mfa: .init(), consents: [])
        let row = QueryRow([
            .init(name: "secret", value: .text(secret)), .init(name: "secret_iv", value: iv.map { .text($0) } ?? .null),
        ])
        try LegacyRows.complete(&account, settings: settings, rows: [settings.mfaQuery!: [row]])
        return account
    }

    @Test(arguments: [
        // SHA-256 key derivation (Rails 7.1 and later).
        (
            #"{"p":"ITf+VkMXLpxKtzHKScnP0A==","h":{"iv":"KCaMuitxPNm6qRlV","at":"mZxJ75Hu0hBVYbNGzLgdWA==","e":"VVRGLTg="}}"#,
            "JBSWY3DPEHPK3PXP"
        ),
        // SHA-1 key derivation (Rails 7.0).
        (
            #"{"p":"lBXn2tI3Ain14RWkCguUiQ==","h":{"iv":"cI4jS+Yu9bZQW2UN","at":"um8IpZ7GIMMfcVKCMfoIhg==","e":"VVRGLTg="}}"#,
            "JBSWY3DPEHPK3PXP"
        ),
        // Encrypted under a primary key since rotated out, still listed.
        (
            #"{"p":"LZs8wAajfddL9tae25vgyg==","h":{"iv":"OT0eZJbPlI6gK3qq","at":"IsoUuASL8VWkYB0FfFu0Cg==","e":"VVRGLTg="}}"#,
            "GEZDGNBVGY3TQOJQ"
        ),
    ])
    func railsActiveRecordEncryption(_ stored: String, _ secret: String) throws {
        let account = try Self.account(stored, settings: Self.rails())
        #expect(account.mfa.totp.map(\.secret) == [secret])
    }

    @Test func attrEncryptedGCMWithItsIVColumn() throws {
        let settings = try Self.settings(
            "[legacy.encryption]\nscheme = \"aes-256-gcm\"\nkey_env = \"KEY\"",
            environment: ["KEY": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"])
        let account = try Self.account(
            "b99WNh/+S9SZ1QzHnSgRpFNsI17qvaYrRtOKS0HhEEw=\n", iv: "casMPX0uqkt1N0ox\n", settings: settings)
        #expect(account.mfa.totp.map(\.secret) == ["JBSWY3DPEHPK3PXP"])
    }

    /// attr_encrypted's older CBC mode (Python's `cryptography`, PKCS #7). A
    /// wrong key finds bad padding or garbage, never a secret.
    @Test func attrEncryptedCBCWithItsIVColumn() throws {
        let key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        let settings = try Self.settings(
            "[legacy.encryption]\nscheme = \"aes-256-cbc\"\nkey_env = \"KEY\"", environment: ["KEY": key])
        let account = try Self.account(
            "sOzHaV8T19BtLAM8+YkF9naMt0kDUDYzynNCBWSHStY=\n", iv: "Dw4NDAsKCQgHBgUEAwIBAA==\n", settings: settings)
        #expect(account.mfa.totp.map(\.secret) == ["JBSWY3DPEHPK3PXP"])
        let wrong = try Self.settings(
            "[legacy.encryption]\nscheme = \"aes-256-cbc\"\nkey_env = \"KEY\"",
            environment: ["KEY": String(key.reversed())])
        #expect(throws: LegacySourceError.self) {
            try Self.account(
                "sOzHaV8T19BtLAM8+YkF9naMt0kDUDYzynNCBWSHStY=", iv: "Dw4NDAsKCQgHBgUEAwIBAA==", settings: wrong)
        }
    }

    /// A wrong key, a tampered tag or a plaintext value is an error naming the
    /// user, never the value, and never a secret Ferry made up.
    @Test(arguments: [
        #"{"p":"ITf+VkMXLpxKtzHKScnP0A==","h":{"iv":"KCaMuitxPNm6qRlV","at":"AAAAAAAAAAAAAAAAAAAAAA==","e":"VVRGLTg="}}"#,
        "JBSWY3DPEHPK3PXP", #"{"p":"!!"}"#, "",
    ])
    func whatDoesNotDecryptIsNamed(_ stored: String) throws {
        do {
            _ = try Self.account(stored, settings: Self.rails())
            Issue.record("expected an error")
        } catch let error as LegacySourceError {
            #expect(error.description.contains("legacy user 7"))
            if !stored.isEmpty { #expect(!error.description.contains(stored)) }
        }
    }
}
