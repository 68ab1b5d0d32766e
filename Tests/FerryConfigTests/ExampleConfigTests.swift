import Foundation
import Testing

@testable import FerryConfig

/// proxy.conf.example is documentation that must stay true: it has to load.
struct ExampleConfigTests {
    static let examplePath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("proxy.conf.example").path

    @Test func exampleLoadsWithSafeDefaults() throws {
        let config = try ProxyConfig.load(path: Self.examplePath, environment: [:])
        #expect(config.migration.mode == .off)
        #expect(config.admin.listen.isLoopback)
        #expect(config.upstreams.keys.sorted() == ["legacy", "new"])
        #expect(config.routes.map(\.name) == ["login", "password-reset", "signup", "everything-else"])
    }

    @Test func exampleSetsEveryKeyTheLoaderKnows() throws {
        // A key the loader reads but the example never mentions is undocumented.
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        let documented = [
            "listen", "tls_cert_file", "tls_key_file", "http2", "max_header_size", "max_body_size", "idle_timeout",
            "request_timeout", "shutdown_timeout", "token_file", "token_env", "url", "busy_timeout",
            "encryption_key_file", "encryption_key_env", "connect_timeout", "response_timeout", "pool_size",
            "host_header", "tls_verify", "ca_file", "session_cookies", "bearer_prefixes", "jwt_issuers", "database",
            "user_query", "mfa_query", "consents_query", "allow_plaintext", "digest", "salt_position", "template",
            "salt_encoding", "hash_encoding", "password_encoding", "pepper_file", "pepper_env", "iterations", "kind",
            "signing_key_file", "statements", "timeout", "mode", "rollout_percent", "rollout_salt",
            "rate_per_second", "burst", "hash_workers", "hash_queue_size", "normalize_identifier", "allow", "deny",
            "max_bcrypt_cost", "max_iterations", "max_phpass_log2", "max_scrypt_memory", "max_argon2_memory",
            "max_argon2_passes", "max_parallelism", "scheme", "format", "argon2_memory", "argon2_passes",
            "argon2_parallelism", "bcrypt_cost", "pbkdf2_iterations", "scrypt_log2_n", "scrypt_r", "scrypt_p",
            "unsupported_mfa", "legacy_upstream", "new_upstream", "name", "methods", "path",
            "path_prefix", "host", "header", "cookie", "action", "upstream", "body_format", "identifier_field",
            "password_field", "session_affinity", "on_unavailable", "active_statuses", "totp_secret_encoding",
            "totp_statements", "recovery_code_statements", "consent_statements", "existing_query", "mfa_factors",
            "retry_initial", "retry_ceiling", "new_path", "new_body_format", "new_identifier_field",
            "new_password_field", "new_static_fields", "jwks_file", "jwks_url", "jwks_refresh", "retention",
        ]
        for key in documented {
            #expect(
                text.contains("\(key) =") || text.contains("# \(key)"), "proxy.conf.example does not mention \(key)")
        }
    }

    /// One wrong value is one error, not a cascade: every key of the example
    /// given a wrong type, a control character or a misspelt name, and every
    /// table header misspelt, yields one error. The one allowed exception is a
    /// renamed table whose sub-tables remain (`[legacyx]` with `[legacy.hash]`
    /// below): the misspelling and the now-headless `[legacy]` are both named.
    @Test func oneWrongValueIsOneError() throws {
        let lines = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var cascades: [String] = []
        var mutations = 0
        for (index, line) in lines.enumerated() {
            var variants: [String] = []
            if let equals = line.firstIndex(of: "="), let first = line.first, first.isLowercase,
                !line.contains(#"""""#)
            {
                let key = line[..<equals].trimmingCharacters(in: .whitespaces)
                let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                variants = ["\(key) = []", "\(key)x = \(value)", "\(key) = \"\u{1}\""]
            } else if line.hasPrefix("["), let close = line.firstIndex(of: "]") {
                let name = line[..<close].drop { $0 == "[" }
                variants = [line.replacingOccurrences(of: name, with: name + "x")]
            }
            for variant in variants {
                var text = lines
                text[index] = variant
                mutations += 1
                do {
                    _ = try ProxyConfig.parse(
                        text.joined(separator: "\n"), file: "t.conf", baseDirectory: "/", environment: [:])
                } catch {
                    let headless = error.issues.contains { $0.message.contains("has no header of its own") }
                    if error.issues.count > (headless ? 2 : 1) {
                        cascades.append("line \(index + 1) `\(variant)`:\n" + error.description)
                    }
                }
            }
        }
        #expect(mutations > 300)
        #expect(cascades.isEmpty, "\(cascades.joined(separator: "\n"))")
    }

    @Test func missingFileIsReportedPlainly() {
        #expect(throws: ConfigError.self) { try ProxyConfig.load(path: "/nonexistent/proxy.conf") }
        do {
            _ = try ProxyConfig.load(path: "/nonexistent/proxy.conf")
        } catch {
            #expect(error.description == "/nonexistent/proxy.conf: cannot read config file: No such file or directory")
        }
    }
}
