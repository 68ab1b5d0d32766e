import Testing

@testable import FerryProxy

/// One Host, well formed, as nginx requires; anything else is a 400.
struct HostHeaderTests {
    @Test(arguments: [
        "shop.example", "shop.example:8443", "127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:8080", "xn--caf-dma.example",
        "a_b.internal", String(repeating: "a", count: 253), String(repeating: "a", count: 253) + ":65535",
    ])
    func wellFormedHostsPass(authority: String) {
        #expect(HostHeader.problem(authority: authority, repeatedHosts: 0) == nil)
    }

    @Test(arguments: [
        ("", "empty"), ("shop example", "malformed"), ("shop.example:", "malformed"),
        ("shop.example:99999", "malformed"),
        ("shop.example:8x", "malformed"), ("[::1", "malformed"), ("[]:80", "malformed"), ("a/b", "malformed"),
        ("user@shop.example", "malformed"), ("café.example", "malformed"), ("[::1]x", "malformed"),
        (String(repeating: "a", count: 260), "malformed"), (String(repeating: "a", count: 70_000), "malformed"),
    ])
    func malformedHostsAreRefused(authority: String, word: String) {
        #expect(HostHeader.problem(authority: authority, repeatedHosts: 0)?.contains(word) == true, "\(authority)")
    }

    @Test func missingOrRepeatedHostIsRefused() {
        #expect(HostHeader.problem(authority: nil, repeatedHosts: 0) == "request has no Host header")
        #expect(HostHeader.problem(authority: "a", repeatedHosts: 1) == "request has more than one Host header")
    }
}
