import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

@testable import FerryProxy

@Suite(.serialized) struct ReloadTests {
    /// Requests flow continuously while the config is reloaded many times,
    /// alternating valid files (which move the route between two upstreams) and
    /// invalid ones. No request may fail, and every valid change must take effect.
    @Test func reloadUnderLoadDropsNothing() async throws {
        let legacy = TestUpstream(name: "legacy")
        let new = TestUpstream(name: "new")
        try await legacy.start()
        try await new.start()
        let proxy = try await ProxyHarness(config: ProxyHarness.config(legacy: legacy.url, new: new.url))
        let tally = LoadTally()

        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        while !tally.stopped {
                            do {
                                let (response, body) = try await proxy.get("/hello")
                                if response.status != .ok || !body.hasPrefix("hello from ") {
                                    tally.fail("\(response.status) \(body)")
                                }
                                tally.served()
                            } catch {
                                tally.fail("\(error)")
                            }
                        }
                    }
                }
            }
        }

        var applied = 0
        for round in 0..<20 {
            let target = round % 2 == 0 ? "new" : "legacy"
            try proxy.rewrite(ProxyHarness.config(legacy: legacy.url, new: new.url, routeUpstream: target))
            let record = await proxy.server.reload(trigger: .admin(caller: "test"))
            #expect(record.outcome == .applied)
            #expect(record.changedKeys == ["route[0].action"])
            applied += 1
            // The change takes effect for the next request.
            let (_, body) = try await proxy.get("/hello")
            #expect(body == "hello from \(target)\n")

            try proxy.rewrite("[server]\nlisten = \"127.0.0.1:0\"\nmax_body_size = \"lots\"\n")
            let rejected = await proxy.server.reload(trigger: .signal)
            #expect(rejected.outcome == .rejected)
            #expect(rejected.errors.first?.contains("max_body_size") == true)
            let (_, still) = try await proxy.get("/hello")
            #expect(still == "hello from \(target)\n", "a rejected file must leave the running config in place")
            try await Task.sleep(for: .milliseconds(20))
        }
        tally.stop()
        await load.value
        #expect(tally.failures == [])
        #expect(tally.count > 100)
        #expect(proxy.server.generation == applied + 1)

        try await proxy.stop()
        await legacy.stop()
        await new.stop()
    }

    /// A reload rejected after the new upstreams were read (here: a session
    /// store that does not exist) leaves no connection pool behind.
    @Test func aRejectedReloadMakesNoUpstreamClients() async throws {
        let legacy = TestUpstream(name: "legacy")
        try await legacy.start()
        let proxy = try await ProxyHarness(config: ProxyHarness.config(legacy: legacy.url, new: "http://127.0.0.1:1"))
        let open = { proxy.server.clientLedger.open.load(ordering: .relaxed) }
        #expect(open() == 2)
        for port in 2..<7 {
            try proxy.rewrite(
                ProxyHarness.config(legacy: legacy.url, new: "http://127.0.0.1:\(port)") + """

                    [sessions]
                    store_query = "SELECT expires_at FROM sessions WHERE id = :session_id"
                    store_database = "sqlite:///nonexistent/sessions.db"
                    """)
            let record = await proxy.server.reload(trigger: .admin(caller: "test"))
            #expect(record.outcome == .rejected)
        }
        #expect(open() == 2)
        try await proxy.stop()
        await legacy.stop()
    }

    @Test func adminAPINeedsTheTokenAndReportsReloads() async throws {
        let legacy = TestUpstream(name: "legacy")
        try await legacy.start()
        let proxy = try await ProxyHarness(config: ProxyHarness.config(legacy: legacy.url, new: legacy.url))

        func call(_ method: HTTPMethod, _ path: String, token: String?) async throws -> (Int, String) {
            var request = HTTPClientRequest(url: proxy.admin + path)
            request.method = method
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            let response = try await proxy.client.execute(request, timeout: .seconds(10))
            return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
        }

        let health = try await call(.GET, "/healthz", token: nil)
        let anonymous = try await call(.GET, "/admin/status", token: nil)
        let wrong = try await call(.GET, "/admin/status", token: "wrong")
        let anonymousReload = try await call(.POST, "/admin/reload", token: nil)
        #expect(health.0 == 200 && health.1 == "ok\n")
        #expect(anonymous.0 == 401)
        #expect(wrong.0 == 401)
        #expect(anonymousReload.0 == 401)

        try proxy.rewrite(
            ProxyHarness.config(legacy: legacy.url, new: legacy.url, extraServer: #"max_body_size = "1MiB""#))
        let (status, body) = try await call(.POST, "/admin/reload", token: "test-admin-token")
        #expect(status == 200)
        let record = try JSONSerialization.jsonObject(with: Data(body.utf8)) as! [String: Any]
        #expect(record["outcome"] as? String == "applied")
        #expect(record["changed_keys"] as? [String] == ["server.max_body_size"])
        #expect(record["trigger"] as? String == "admin API (127.0.0.1)")

        try proxy.rewrite(
            ProxyHarness.config(legacy: legacy.url, new: legacy.url).replacingOccurrences(
                of: "127.0.0.1:0\"\n\n[admin]", with: "127.0.0.1:8999\"\n\n[admin]"))
        let (_, restartBody) = try await call(.POST, "/admin/reload", token: "test-admin-token")
        let restart = try JSONSerialization.jsonObject(with: Data(restartBody.utf8)) as! [String: Any]
        #expect(restart["restart_required"] as? [String] == ["server.listen"])

        try proxy.rewrite("not = [valid")
        let (badStatus, badBody) = try await call(.POST, "/admin/reload", token: "test-admin-token")
        #expect(badStatus == 422)
        #expect(badBody.contains("syntax error"))
        // One-character typos that once aborted the process on reload.
        let typos = ["[", "[=route]]", "[.state]", "[}erver]", "[édmin]"]
        for typo in typos {
            try proxy.rewrite(ProxyHarness.config(legacy: legacy.url, new: legacy.url) + "\n" + typo + "\n")
            let (typoStatus, typoBody) = try await call(.POST, "/admin/reload", token: "test-admin-token")
            #expect(typoStatus == 422, "\(typo)")
            #expect(typoBody.contains("syntax error"), "\(typo): \(typoBody)")
        }

        _ = try await proxy.get("/hello")
        let (statusCode, statusBody) = try await call(.GET, "/admin/status", token: "test-admin-token")
        #expect(statusCode == 200)
        #expect(statusBody.contains("\"outcome\":\"rejected\""))
        let (_, metrics) = try await call(.GET, "/metrics", token: nil)
        #expect(metrics.contains(#"ferry_reloads_total{outcome="applied"} 2"#))
        #expect(metrics.contains(#"ferry_reloads_total{outcome="rejected"} \#(1 + typos.count)"#))
        #expect(metrics.contains(#"ferry_http_requests_total{route="all",upstream="legacy",status_class="2xx"}"#))
        #expect(metrics.contains("ferry_upstream_response_seconds_bucket"))
        #expect(metrics.contains("ferry_active_connections"))
        #expect(!metrics.contains("test-admin-token"))

        try await proxy.stop()
        await legacy.stop()
    }
}

/// Shared between the load tasks and the test.
final class LoadTally: Sendable {
    private let state = Mutex((failures: [String](), count: 0, stopped: false))

    var failures: [String] { state.withLock { $0.failures } }
    var count: Int { state.withLock { $0.count } }
    var stopped: Bool { state.withLock { $0.stopped } }

    func fail(_ reason: String) { state.withLock { $0.failures.append(reason) } }
    func served() { state.withLock { $0.count += 1 } }
    func stop() { state.withLock { $0.stopped = true } }
}
