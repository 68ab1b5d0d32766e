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

    @Test func listenersNeedARestart() throws {
        let before = try Self.config(Self.base)
        let after = try Self.config(Self.base.replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:8443"))
        #expect(after.restartRequiredKeys(from: before) == ["server.listen"])
        #expect(after.restartRequiredKeys(from: after) == [])
    }
}
