import FerryTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `ferry serve` as a process: signals do what the README says.
@Suite(.serialized) struct ServeLifecycleTests {
    /// A loopback upstream that answers /slow after two seconds (python3 is part
    /// of the base machine and of scripts/bootstrap's world).
    static func startSlowUpstream() throws -> (Process, Int) {
        let script = """
            import http.server, socketserver, sys, time
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    if self.path == "/slow": time.sleep(2)
                    body = b"done " + self.path.encode()
                    self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *a): pass
            class S(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
            s = S(("127.0.0.1", 0), H); print(s.server_address[1], flush=True); s.serve_forever()
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let out = Pipe()
        process.standardOutput = out
        // Children must not hold the test runner's output open after the test.
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) { line += out.fileHandleForReading.availableData }
        let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))!
        return (process, port)
    }

    static func fetch(_ url: String) async throws -> (Int, String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }

    @Test(.timeLimit(.minutes(2))) func sigtermLetsTheInFlightRequestFinishThenExitsZero() async throws {
        let (upstream, upstreamPort) = try Self.startSlowUpstream()
        // SIGKILL: the test process may block SIGTERM, and children inherit that.
        defer { kill(upstream.processIdentifier, SIGKILL) }
        let port = freeLoopbackPort()
        let adminPort = freeLoopbackPort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-serve-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("proxy.conf")
        try """
        [server]
        listen = "127.0.0.1:\(port)"
        shutdown_timeout = "10s"
        [admin]
        listen = "127.0.0.1:\(adminPort)"
        [upstreams.legacy]
        url = "http://127.0.0.1:\(upstreamPort)"
        [[route]]
        name = "all"
        action = "proxy"
        upstream = "legacy"
        """.write(to: config, atomically: true, encoding: .utf8)

        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("ferry")
        let ferry = Process()
        ferry.executableURL = binary
        ferry.arguments = ["serve", "--config", config.path, "--no-access-log"]
        ferry.standardError = FileHandle.nullDevice
        ferry.standardOutput = FileHandle.nullDevice
        try ferry.run()
        defer { if ferry.isRunning { kill(ferry.processIdentifier, SIGKILL) } }
        // Ready when both listeners answer: the admin one may be up first.
        var ready = false
        for _ in 0..<200 where !ready {
            ready = (try? await Self.fetch("http://127.0.0.1:\(adminPort)/healthz"))?.0 == 200
            if ready { ready = (try? await Self.fetch("http://127.0.0.1:\(port)/")) != nil }
            if !ready { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(ready, "ferry serve did not start")

        // SIGHUP reloads and never stops Ferry.
        kill(ferry.processIdentifier, SIGHUP)
        try await Task.sleep(for: .milliseconds(200))
        #expect(ferry.isRunning)

        let slow = Task { try await Self.fetch("http://127.0.0.1:\(port)/slow") }
        try await Task.sleep(for: .milliseconds(500))
        kill(ferry.processIdentifier, SIGTERM)
        let (status, body) = try await slow.value
        #expect(status == 200)
        #expect(body == "done /slow")
        while ferry.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(ferry.terminationStatus == 0)
        #expect(ferry.terminationReason == .exit)
    }
}
