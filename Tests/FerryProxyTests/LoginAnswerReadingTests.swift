import Foundation
import Testing

@testable import FerryProxy

/// What Ferry reads from legacy's answer to a login, and what it refuses to
/// read from the login itself.
struct LoginAnswerReadingTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// Only a session this answer issues counts: not one being cleared, nor
    /// the one the customer already carried sent back unchanged.
    @Test(
        arguments: [
            (["sid=new; Path=/; HttpOnly"], [("sid", "old")], ["sid"]),
            (["sid=same; Path=/"], [("sid", "same")], []),
            (["sid=; Path=/; Max-Age=0"], [], []),
            (["sid=x; Max-Age=0"], [], []),
            (["sid=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT"], [], []),
            (["sid=x; Max-Age=3600", "mfa=y"], [("other", "x")], ["sid", "mfa"]),
            (["not a cookie"], [], []),
        ] as [([String], [(String, String)], Set<String>)])
    func issuedCookies(_ headers: [String], _ carried: [(String, String)], _ issued: Set<String>) {
        let carried = carried.map { (name: $0.0, value: $0.1) }
        #expect(ProxyResponder.issuedCookies(headers, carried: carried, now: Self.now) == issued)
    }

    /// A login naming its credentials in the query string is refused: some
    /// servers read the query first, and legacy would judge another user.
    @Test(
        arguments: [
            (nil, nil), ("", nil), ("next=/account", nil), ("username=mallory", "username"),
            ("next=%2F&password=x", "password"), ("user%6Eame=m", "username"), ("usernames=x", nil),
        ] as [(String?, String?)])
    func credentialsInTheQuery(_ query: String?, _ named: String?) {
        #expect(LoginBody.credentialInQuery(query, settings: LoginBodyTests.settings()) == named)
        let json = LoginBodyTests.settings("/user/email", "/user/password")
        #expect(LoginBody.credentialInQuery("email=a", settings: json) == "email")
    }
}
