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

    /// Every table of the key table, with its heading in docs/configuration.md.
    static var keyTables: [(heading: String, keys: [(name: String, isSecret: Bool)])] {
        func names<S>(_ keys: [ConfigKey<S>]) -> [(name: String, isSecret: Bool)] {
            keys.map { ($0.name, $0.isSecret) }
        }
        // The parts a route's `match` and `action` keys are read from.
        let routeParts = [
            "methods", "path", "path_prefix", "host", "header", "cookie", "upstream", "body_format",
            "identifier_field", "password_field", "max_body_size", "identifier_fields", "on_legacy_identifier",
            "new_path", "new_body_format", "new_identifier_field", "new_password_field", "new_static_fields",
        ].map { (name: $0, isSecret: false) }
        return [
            ("[server]", names(ConfigKeys.server)), ("[admin]", names(ConfigKeys.admin)),
            ("[state]", names(ConfigKeys.state)), ("[upstreams.NAME]", names(ConfigKeys.upstream)),
            ("[legacy]", names(ConfigKeys.legacy)), ("[legacy.hash]", names(ConfigKeys.configuredHash)),
            ("[legacy.ldap]", names(ConfigKeys.ldap)), ("[legacy.cognito]", names(ConfigKeys.cognito)),
            ("[legacy.encryption]", names(ConfigKeys.encryption)), ("[legacy.answer]", names(ConfigKeys.answer)),
            ("[legacy.limits]", names(ConfigKeys.hashLimits)), ("[target]", names(ConfigKeys.target)),
            ("[migration]", names(ConfigKeys.migration)), ("[migration.rehash]", names(ConfigKeys.rehash)),
            ("[sessions]", names(ConfigKeys.sessions)), ("[login_guard]", names(ConfigKeys.loginGuard)),
            ("[[route]]", names(ConfigKeys.route).filter { $0.name != "match" } + routeParts),
        ]
    }

    /// The key table drives the documentation checks: a key the loader reads
    /// is in proxy.conf.example and in its table's section of
    /// docs/configuration.md (secrets as `_file` and `_env`).
    @Test func everyKeyIsInTheExampleAndTheDocs() throws {
        let example = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        let docs = try String(
            contentsOfFile: URL(fileURLWithPath: Self.examplePath).deletingLastPathComponent()
                .appendingPathComponent("docs/configuration.md").path, encoding: .utf8)
        for (heading, keys) in Self.keyTables {
            let section = try #require(Self.section(of: docs, heading: heading), "docs/configuration.md: \(heading)")
            for key in keys {
                let spellings = key.isSecret ? ["\(key.name)_file", "\(key.name)_env"] : [key.name]
                for name in spellings {
                    #expect(
                        example.contains("\(name) =") || example.contains("# \(name)"),
                        "proxy.conf.example does not mention \(heading) \(name)")
                    #expect(section.contains("`\(name)`"), "docs/configuration.md \(heading) does not describe \(name)")
                }
            }
        }
    }

    /// The text under the `##` heading naming `heading`, up to the next heading.
    static func section(of docs: String, heading: String) -> String? {
        let lines = docs.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("#") && $0.contains("`\(heading)`") }) else {
            return nil
        }
        let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("#") } ?? lines.endIndex
        return lines[start..<end].joined(separator: "\n")
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
