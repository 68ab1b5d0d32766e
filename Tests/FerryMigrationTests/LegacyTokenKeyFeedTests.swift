import Crypto
import FerryConfig
import FerryTestSupport
import Foundation
import Logging
import Testing

@testable import FerryMigration
@testable import FerryStore

/// `sessions.jwks_url`: legacy's keys fetched from a real HTTP server (Python's
/// `http.server` on a loopback port), refreshed on rotation, kept when legacy's
/// key server is down, and never fetched faster than once a minute.
@Suite(.serialized) struct LegacyTokenKeyFeedTests {
    @Test(
        arguments: [
            // (seconds since fetch, seconds since attempt, fetching, token's kid unknown) → due
            (nil, nil, false, false, true),  // never fetched: at start
            (nil, 30, false, false, false),  // a failed attempt 30 s ago: wait out the minute
            (nil, 61, false, false, true),
            (100, 100, false, false, false),  // fresh keys, known kid
            (100, 100, false, true, true),  // a kid the set lacks: rotation
            (100, 10, false, true, false),  // …but not twice a minute
            (3600, 3600, false, false, true),  // older than refresh
            (3600, 3600, true, true, false),  // a fetch is running
        ] as [(Double?, Double?, Bool, Bool, Bool)])
    func refreshPolicy(_ sinceFetch: Double?, _ sinceAttempt: Double?, _ fetching: Bool, _ unknown: Bool, _ due: Bool) {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(
            JWKSRefresh.isDue(
                now: now, fetchedAt: sinceFetch.map { now.addingTimeInterval(-$0) },
                attemptedAt: sinceAttempt.map { now.addingTimeInterval(-$0) }, fetching: fetching,
                tokenKeyUnknown: unknown, refresh: 3600) == due)
    }

    /// A folder served by `python3 -m http.server` on a free loopback port;
    /// its request log (stderr) counts the fetches.
    final class KeyServer {
        let directory: URL
        let process = Process()
        /// The server's request log (its standard error), a plain file: no
        /// dispatch source reads a pipe while the process is killed.
        let log: URL
        var requests: Int {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return text.components(separatedBy: "GET /jwks.json").count - 1
        }
        var port = 0

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-jwks-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            log = directory.appendingPathComponent("requests.log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", directory.path,
            ]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
            var banner = ""
            while !banner.contains(")") {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                banner += String(decoding: chunk, as: UTF8.self)
            }
            // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
            let words = banner.split(separator: " ")
            port = words.firstIndex(of: "port").flatMap { Int(words[$0 + 1]) } ?? 0
        }

        func publish(_ keys: [(kid: String, key: P256.Signing.PrivateKey)]) throws {
            let entries = keys.map { kid, key in
                let raw = key.publicKey.rawRepresentation
                return
                    #"{"kty":"EC","crv":"P-256","kid":"\#(kid)","x":"\#(Base64URL.encode(raw.prefix(32)))","y":"\#(Base64URL.encode(raw.suffix(32)))"}"#
            }
            try #"{"keys":[\#(entries.joined(separator: ","))]}"#.write(
                to: directory.appendingPathComponent("jwks.json"), atomically: true, encoding: .utf8)
        }

        func stop() {
            guard process.isRunning else { return }
            // SIGKILL: a child spawned from a dispatch thread inherits its
            // blocked-signal mask, SIGTERM included.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func token(_ key: P256.Signing.PrivateKey, kid: String, exp: Double) -> String {
        let head = Base64URL.encode(Data(#"{"alg":"ES256","kid":"\#(kid)"}"#.utf8))
        let body = Base64URL.encode(Data(#"{"exp":\#(exp)}"#.utf8))
        let signature = try! key.signature(for: Data((head + "." + body).utf8)).rawRepresentation
        return head + "." + body + "." + Base64URL.encode(signature)
    }

    @Test(.timeLimit(.minutes(1))) func keysAreFetchedRotatedAndKeptWhenTheServerIsDown() async throws {
        let server = try KeyServer()
        defer { server.stop() }
        let first = P256.Signing.PrivateKey()
        try server.publish([("k1", first)])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-jwks-state-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStateStore(path: folder.appendingPathComponent("state.db").path)
        let config = try ProxyConfig.parse(
            """
            [server]
            listen = "127.0.0.1:0"
            [sessions]
            jwks_url = "http://127.0.0.1:\(server.port)/jwks.json"
            jwks_refresh = "10m"
            """, file: "t.conf", baseDirectory: folder.path, environment: [:])
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let tracker = try LegacySessionTracker(
            config: config, store: store, logger: Logger(label: "test"), clock: clock.now)
        let later = 1_800_000_000.0 + 86_400
        func verdict(_ token: String) async -> SessionVerdict {
            await tracker.verdict(for: SessionCredential(kind: .token, name: "bearer", value: token))
        }

        // Fetched at start.
        let genuine = Self.token(first, kid: "k1", exp: later)
        #expect(try await eventually { await verdict(genuine) == .alive })
        #expect(server.requests == 1)

        // A stream of forged key ids within one minute: no further fetch.
        let stranger = P256.Signing.PrivateKey()
        for index in 0..<500 {
            #expect(await verdict(Self.token(stranger, kid: "forged-\(index)", exp: later)) == .unknown)
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.requests == 1)

        // Legacy rotates: a token with the new kid is fetched for once a minute has passed.
        let second = P256.Signing.PrivateKey()
        try server.publish([("k1", first), ("k2", second)])
        let rotated = Self.token(second, kid: "k2", exp: later)
        #expect(await verdict(rotated) == .unknown)
        clock.advance(61)
        #expect(try await eventually { await verdict(rotated) == .alive })
        #expect(server.requests == 2)

        // Legacy's key server goes away: the keys Ferry has keep verifying.
        server.stop()
        clock.advance(601)
        let afterOutage = Self.token(second, kid: "k2", exp: later + 1)
        _ = await verdict(afterOutage)
        try await Task.sleep(for: .milliseconds(300))
        #expect(await verdict(afterOutage) == .alive)
    }

    @Test func checkConfigConnectFetchesTheKeySet() async throws {
        let server = try KeyServer()
        defer { server.stop() }
        try server.publish([("k1", P256.Signing.PrivateKey())])
        func findings(_ path: String) async throws -> [ConnectionCheck.Finding] {
            let config = try ProxyConfig.parse(
                """
                [server]
                listen = "127.0.0.1:0"
                [sessions]
                jwks_url = "http://127.0.0.1:\(server.port)\(path)"
                """, file: "t.conf", baseDirectory: "/tmp", environment: [:])
            return await ConnectionCheck.probeHTTP(config)
        }
        let fine = try await findings("/jwks.json")
        #expect(fine.count == 1 && fine[0].key == "sessions.jwks_url" && fine[0].problem == nil)
        let missing = try await findings("/nothing.json")
        #expect(missing.first?.problem == "answered 404")
        try "<html>".write(to: server.directory.appendingPathComponent("page.html"), atomically: true, encoding: .utf8)
        let notKeys = try await findings("/page.html")
        #expect(notKeys.first?.problem?.contains("not a JWKS document") == true)
    }
}
