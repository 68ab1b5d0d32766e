import Foundation
import Testing

@testable import FerryConfig

struct ConfigDiffTests {
    static func config(_ text: String, environment: [String: String] = [:]) throws -> ProxyConfig {
        try ProxyConfig.parse(text, file: "proxy.conf", baseDirectory: "/etc/ferry", environment: environment)
    }

    static let base = minimalConfig + "\n\n[migration]\nrollout_percent = 10\n"

    @Test(arguments: [
        ("rollout_percent = 10", "rollout_percent = 20", ["migration.rollout_percent"]),
        (#"url = "http://127.0.0.1:8081""#, #"url = "http://127.0.0.1:9999""#, ["upstreams.legacy.url"]),
        (#"upstream = "legacy""#, "upstream = \"legacy\"\nsession_affinity = false", ["route[0].session_affinity"]),
        (#"path_prefix = "/""#, #"path_prefix = "/app""#, ["route[0].match"]),
        (
            #"listen = "127.0.0.1:8080""#, "listen = \"127.0.0.1:8080\"\nmax_body_size = \"1MiB\"",
            ["server.max_body_size"]
        ),
        ("rollout_percent = 10", "rollout_percent = 10", [String]()),
    ])
    func changedKeysNameWhatChanged(old: String, new: String, keys: [String]) throws {
        let before = try Self.config(Self.base)
        let after = try Self.config(Self.base.replacingOccurrences(of: old, with: new))
        #expect(after.changedKeys(from: before) == keys)
    }

    @Test func addedUpstreamIsAChange() throws {
        let before = try Self.config(Self.base)
        let after = try Self.config(Self.base + "\n[upstreams.new]\nurl = \"http://127.0.0.1:8082\"\n")
        #expect(after.changedKeys(from: before) == ["upstreams.new"])
    }

    @Test func secretChangesShowAsKeysOnly() throws {
        let text = Self.base + "\n[admin]\ntoken_env = \"TOKEN\"\n"
        let before = try Self.config(text, environment: ["TOKEN": "first-secret"])
        let after = try Self.config(text, environment: ["TOKEN": "second-secret"])
        let keys = after.changedKeys(from: before)
        #expect(keys == ["admin.token"])
        #expect(!keys.joined().contains("secret"))
    }

    /// The audit log records old and new values; a whole section with secrets
    /// appearing must show where they come from, never what they are.
    @Test func changeValuesNeverCarrySecrets() throws {
        let environment = ["TOKEN": "admin-token-value", "PEPPER": "pepper-value", "SCIM": "scim-token-value"]
        let before = try Self.config(Self.base, environment: environment)
        let after = try Self.config(
            Self.base.replacingOccurrences(of: "rollout_percent = 10", with: "rollout_percent = 20")
                + """

                [admin]
                token_env = "TOKEN"
                [legacy]
                database = "sqlite:///var/lib/legacy.db"
                user_query = "SELECT * FROM users WHERE email = :identifier"
                [legacy.hash]
                digest = "sha1"
                pepper_env = "PEPPER"
                [target]
                kind = "scim"
                url = "http://127.0.0.1:8082/scim/v2"
                token_env = "SCIM"
                """, environment: environment)
        let changes = after.changes(from: before)
        #expect(changes.contains(ConfigChange(key: "migration.rollout_percent", old: "10", new: "20")))
        #expect(changes.contains { $0.key == "legacy" && $0.old == nil && $0.new?.contains("legacy.db") == true })
        let text = changes.map { "\($0.key) \($0.old ?? "") \($0.new ?? "")" }.joined(separator: "\n")
        #expect(text.contains("env $PEPPER") && text.contains("env $SCIM") && text.contains("env $TOKEN"))
        for secret in environment.values { #expect(!text.contains(secret), "no secret value in \(text)") }
    }

    @Test func listenersNeedARestart() throws {
        let before = try Self.config(Self.base)
        let after = try Self.config(Self.base.replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:8443"))
        #expect(after.restartRequiredKeys(from: before) == ["server.listen"])
        #expect(after.restartRequiredKeys(from: after) == [])
        // The listener's protocols are chosen when it is bound.
        var withHTTP2 = before
        withHTTP2.server.http2 = true
        #expect(withHTTP2.restartRequiredKeys(from: before) == ["server.http2"])
        #expect(withHTTP2.changedKeys(from: before) == ["server.http2"])
    }

    /// TLS on or off needs a restart; another certificate file does not
    /// (it is read again on reload).
    @Test func tlsNeedsARestartOnlyWhenTurnedOnOrOff() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["a.pem", "b.pem", "key.pem"] {
            try "x".write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        func tls(_ cert: String) -> String {
            Self.base.replacingOccurrences(
                of: "listen = \"127.0.0.1:8080\"",
                with:
                    "listen = \"127.0.0.1:8080\"\ntls_cert_file = \"\(folder.path)/\(cert)\"\ntls_key_file = \"\(folder.path)/key.pem\""
            )
        }
        let plain = try Self.config(Self.base)
        let first = try Self.config(tls("a.pem"))
        let second = try Self.config(tls("b.pem"))
        #expect(first.restartRequiredKeys(from: plain) == ["server.tls_cert_file"])
        #expect(plain.restartRequiredKeys(from: first) == ["server.tls_cert_file"])
        #expect(second.restartRequiredKeys(from: first) == [])
        #expect(second.changedKeys(from: first) == ["server.tls_cert_file"])
    }

    /// check-config lists what was tuned away from the defaults, by the
    /// file's key names and spelling.
    @Test func theSummaryListsTunedSettings() throws {
        let config = try Self.config(
            Self.base + "\n[login_guard]\nidentifier_failures = 9\nidentifier_window = \"30m\"\n")
        #expect(
            config.settingsAwayFromDefaults.map(\.key) == [
                "migration.rollout_percent", "login_guard.identifier_failures", "login_guard.identifier_window",
            ])
        #expect(config.summary.contains("login_guard.identifier_window = 30m"))
        #expect(config.summary.contains("migration.rollout_percent = 10"))
        #expect(try Self.config(minimalConfig).settingsAwayFromDefaults.isEmpty)
    }
}
