import Testing

@testable import FerryConfig

/// `[legacy.encryption]`: what each scheme needs, said when it is missing.
struct EncryptionConfigTests {
    @Test func theConfigSaysWhatIsMissing() {
        #expect(
            issues(
                "[server]\nlisten = \"127.0.0.1:0\"\n[legacy]\ndatabase = \"sqlite:///x.db\"\nuser_query = \"SELECT :identifier\"\n[legacy.encryption]\nscheme = \"rails\"\nkey_env = \"K\"",
                environment: ["K": "k"]
            ).contains {
                $0.contains("`key_derivation_salt_env` is required with `scheme = \"rails\"`")
            })
        #expect(
            issues(
                "[server]\nlisten = \"127.0.0.1:0\"\n[legacy]\ndatabase = \"sqlite:///x.db\"\nuser_query = \"SELECT :identifier\"\n[legacy.encryption]\nscheme = \"aes-256-gcm\"\nkey_env = \"K\"",
                environment: ["K": "short"]
            ).contains { $0.contains("must hold a 32-byte key") })
    }
}
