import Foundation
import HTTPTypes
import Synchronization
import Testing

@testable import FerryProxy

struct ForwardedHeadersTests {
    @Test(arguments: [
        ("example.com", "example.com"),
        ("example.com:8443", "\"example.com:8443\""),
        ("[::1]:8080", "\"[::1]:8080\""),
        ("bücher.de", "\"bücher.de\""),
        ("", "\"\""),
    ])
    func forwardedValuesAreQuotedUnlessTokens(value: String, shown: String) {
        #expect(ForwardedHeaders.quotedIfNeeded(value) == shown)
    }

    @Test func hopByHopHeadersAndThoseConnectionNamesAreRemoved() {
        var fields = HTTPFields()
        fields[.connection] = "keep-alive, X-Secret-Hop"
        fields[HTTPField.Name("X-Secret-Hop")!] = "1"
        fields[HTTPField.Name("Keep-Alive")!] = "timeout=5"
        fields[.te] = "trailers"
        fields[HTTPField.Name("Trailer")!] = "Expires"
        fields[.transferEncoding] = "chunked"
        fields[.upgrade] = "websocket"
        fields[.proxyAuthorization] = "Basic eA=="
        fields[HTTPField.Name("Proxy-Anything")!] = "x"
        fields[.accept] = "text/html"
        fields.append(HTTPField(name: .setCookie, value: "a=1"))
        fields.append(HTTPField(name: .setCookie, value: "b=2"))
        let result = ForwardedHeaders.removingHopByHop(fields)
        #expect(result.map(\.name.canonicalName) == ["accept", "set-cookie", "set-cookie"])
    }

    @Test(arguments: [
        ("127.0.0.1", nil as String?, "example.com", "127.0.0.1", "for=127.0.0.1;proto=http;host=example.com"),
        ("::1", nil, "example.com:8080", "::1", "for=\"[::1]\";proto=http;host=\"example.com:8080\""),
        ("10.0.0.2", "203.0.113.9", "example.com", "203.0.113.9, 10.0.0.2", "for=10.0.0.2;proto=http;host=example.com"),
    ])
    func forwardedHeadersDescribeTheClient(
        client: String, existing: String?, host: String, xff: String, forwarded: String
    ) {
        var fields = HTTPFields()
        if let existing { fields[.xForwardedFor] = existing }
        let result = ForwardedHeaders.addingForwarded(fields, clientAddress: client, scheme: "http", host: host)
        #expect(result[.xForwardedFor] == xff)
        #expect(result[.xForwardedProto] == "http")
        #expect(result[.xForwardedHost] == host)
        #expect(result[.forwarded] == forwarded)
    }

    @Test func accessLogDropsQueryValues() {
        #expect(AccessLog.redactQuery("/search?q=secret&page=2") == "/search?q=&page=")
        #expect(AccessLog.redactQuery("/reset?token=abc") == "/reset?token=")
        #expect(AccessLog.redactQuery("/plain") == "/plain")
    }
}

struct AccessLogTests {
    @Test func lineIsValidJSONWithoutQueryValues() throws {
        let entry = AccessLog.Entry(
            method: "POST", path: "/login?next=/account&token=s3cret\"x", status: 302, route: "login",
            upstream: nil, duration: .microseconds(1534), bytesIn: 48, bytesOut: 0)
        let line = AccessLog.line(entry, at: timespec(tv_sec: 1_795_285_814, tv_nsec: 123_456_789))
        #expect(line.hasSuffix("}\n"))
        #expect(!line.contains("s3cret"))
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        #expect(object["path"] as? String == "/login?next=&token=")
        #expect(object["time"] as? String == "2026-11-21T18:30:14.123Z")
        #expect(object["status"] as? Int == 302)
        #expect(object["route"] as? String == "login")
        #expect(object["upstream"] is NSNull)
        #expect(object["duration_ms"] as? Double == 1.534)
        #expect(AccessLog.quoted("a\"b\\c\u{1}") == #""a\"b\\c\u0001""#)
    }

    static func entry(_ number: Int) -> AccessLog.Entry {
        AccessLog.Entry(
            method: "GET", path: "/page/\(number)", status: 200, route: "all", upstream: "app",
            duration: .milliseconds(1), bytesIn: 0, bytesOut: 10)
    }

    static func paths(in file: URL) throws -> [String] {
        let text = try String(contentsOf: file, encoding: .utf8)
        return try text.split(separator: "\n").map {
            let object = try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            return object["path"] as! String
        }
    }

    static func logFile() throws -> (URL, FileHandle) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        return (file, try FileHandle(forWritingTo: file))
    }

    @Test func linesAreWrittenInBatchesInOrderAndWhenStopped() throws {
        let (file, handle) = try Self.logFile()
        defer { try? FileManager.default.removeItem(at: file) }
        let log = AccessLog(to: handle)
        for number in 0..<3 { log.write(Self.entry(number)) }
        #expect(try Self.paths(in: file).isEmpty, "collected, not yet written")
        log.flush()
        #expect(try Self.paths(in: file) == ["/page/0", "/page/1", "/page/2"])
        log.write(Self.entry(3))
        log.stop()
        #expect(try Self.paths(in: file) == ["/page/0", "/page/1", "/page/2", "/page/3"])
        log.write(Self.entry(4))
        log.flush()
        #expect(try Self.paths(in: file).count == 4, "nothing is collected after stop")
    }

    @Test func theWriterThreadWritesWithoutBeingAsked() async throws {
        let (file, handle) = try Self.logFile()
        defer { try? FileManager.default.removeItem(at: file) }
        let log = AccessLog(to: handle, flushInterval: .milliseconds(20))
        log.start()
        defer { log.stop() }
        log.write(Self.entry(1))
        var paths: [String] = []
        for _ in 0..<500 where paths.isEmpty {
            try await Task.sleep(for: .milliseconds(10))
            paths = try Self.paths(in: file)
        }
        #expect(paths == ["/page/1"])
    }

    @Test func linesBeyondThePendingLimitAreDroppedAndCounted() throws {
        let (file, handle) = try Self.logFile()
        defer { try? FileManager.default.removeItem(at: file) }
        let lineSize = AccessLog.line(Self.entry(0), at: timespec()).utf8.count
        let reported = Mutex(0)
        let log = AccessLog(to: handle, maxPending: lineSize * 2 + 1) { reported.withLock { $0 += 1 } }
        for number in 0..<5 { log.write(Self.entry(number)) }
        #expect(reported.withLock { $0 } == 3)
        log.flush()
        #expect(try Self.paths(in: file) == ["/page/0", "/page/1"])
        log.write(Self.entry(5))
        log.flush()
        #expect(try Self.paths(in: file) == ["/page/0", "/page/1", "/page/5"], "room again once written")
    }
}

@Suite struct SetCookieTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    @Test(
        arguments: [
            ("legacy_session=abc; Path=/; HttpOnly; Max-Age=3600", "legacy_session", "abc", Optional(3600.0)),
            ("legacy_session=; Path=/; Max-Age=0", "legacy_session", "", Optional(0.0)),
            ("s=\"quoted\"; Max-Age=-5", "s", "quoted", Optional(0.0)),
            // Max-Age wins over Expires.
            ("s=v; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Max-Age=60", "s", "v", Optional(60.0)),
            ("s=v; Expires=Tue, 14 Nov 2023 22:30:00 GMT", "s", "v", Optional(1_000.0)),
            ("s=v; expires=Tuesday, 14-Nov-23 22:30:00 GMT", "s", "v", Optional(1_000.0)),
            ("s=v; Path=/", "s", "v", nil),
            ("s=a=b", "s", "a=b", nil),
        ] as [(String, String, String, Double?)])
    func parses(header: String, name: String, value: String, expiresIn: Double?) throws {
        let cookie = try #require(SetCookie.parse(header, now: Self.now))
        #expect(cookie.name == name && cookie.value == value)
        #expect(cookie.expiresAt == expiresIn.map { Self.now.addingTimeInterval($0) })
    }

    @Test func rejectsWhatIsNotACookie() {
        #expect(SetCookie.parse("no-equals-sign", now: Self.now) == nil)
        #expect(SetCookie.parse("=value", now: Self.now) == nil)
    }
}
