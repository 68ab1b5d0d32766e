import Testing

@testable import FerryConfig

struct ConfigValuesTests {
    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)), ("30s", .seconds(30)), ("5m", .seconds(300)),
        ("1h", .seconds(3600)), ("7d", .seconds(604_800)), ("1m30s", .seconds(90)), ("0s", .zero),
    ])
    func durationsParse(text: String, expected: Duration) {
        #expect(parseDuration(text) == expected)
    }

    @Test(arguments: ["", "30", "s", "30 s", "-5s", "1.5s", "5x", "9999999999s", "30s "])
    func malformedDurationsAreRefused(text: String) {
        #expect(parseDuration(text) == nil)
    }

    @Test(arguments: [
        ("512", 512), ("16KiB", 16384), ("10MiB", 10_485_760), ("1GiB", 1_073_741_824), ("16KB", 16000),
        ("2MB", 2_000_000), ("100B", 100),
    ])
    func sizesParse(text: String, expected: Int) {
        #expect(parseByteSize(text) == expected)
    }

    @Test(arguments: ["", "KiB", "16 KiB", "16kib", "1.5MiB", "-1", "16TiB", "9999999999999GiB"])
    func malformedSizesAreRefused(text: String) {
        #expect(parseByteSize(text) == nil)
    }

    @Test(arguments: [
        ("127.0.0.1:8080", "127.0.0.1", 8080), ("0.0.0.0:0", "0.0.0.0", 0), ("[::1]:9090", "::1", 9090),
        ("localhost:443", "localhost", 443),
    ])
    func listenAddressesParse(text: String, host: String, port: Int) {
        #expect(ListenAddress(parsing: text) == ListenAddress(host: host, port: port))
    }

    @Test(arguments: ["8080", ":8080", "host:", "host:65536", "::1:80", "[::1]80", "host:8o80", "[::1"])
    func malformedListenAddressesAreRefused(text: String) {
        #expect(ListenAddress(parsing: text) == nil)
    }

    @Test(arguments: [
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081"), ("https://idp.example.com", "https://idp.example.com:443"),
        ("http://idp.example.com/scim/v2/", "http://idp.example.com:80/scim/v2"),
        ("http://[::1]:80", "http://[::1]:80"),
    ])
    func endpointURLsParse(text: String, normalized: String) {
        #expect(EndpointURL(parsing: text)?.description == normalized)
    }

    @Test(arguments: [
        "ftp://host", "http://", "http://user:pw@host", "http://host/path?q=1", "host:80", "http://host:0",
    ])
    func malformedEndpointURLsAreRefused(text: String) {
        #expect(EndpointURL(parsing: text) == nil)
    }

    @Test func parserKnowsTheLineOfEveryKeyInTablesAndArraysOfTables() throws {
        let text = """
            # comment with key = value
            [server]
            listen = "x"
            query = \"\"\"
            fake = 1
            \"\"\"
            [[route]]
            name = "a"
            [[route]]
            "name" = "b"
            [route.match]
            host = "h"
            """
        let locator = try TOMLParser.parse(text)
        #expect(locator.line(of: "server.listen") == 3)
        #expect(locator.line(of: "server.fake") == 2)
        #expect(locator.line(of: "route[0].name") == 8)
        #expect(locator.line(of: "route[1].name") == 10)
        #expect(locator.line(of: "route[1].match.host") == 12)
        #expect(locator.line(of: "route[1].upstream") == 9)
        #expect(locator.line(of: "nothing") == nil)
    }

    @Test(arguments: [
        ("listne", ["listen", "tls_cert_file"], "listen"),
        ("rollout_precent", ["rollout_percent", "mode"], "rollout_percent"),
        ("zzz", ["listen"], nil),
        // Only names about as long are compared (a distance is at least the
        // difference in length); a pasted kilobyte-long key suggests nothing.
        ("liste", ["listen", "list"], "listen"),
        ("l", ["listen"], nil),
        (String(repeating: "listen", count: 20_000), ["listen", "tls_cert_file"], nil),
    ])
    func closestKeySuggestion(typo: String, known: [String], expected: String?) {
        #expect(closest(to: typo, in: known) == expected)
    }
}
