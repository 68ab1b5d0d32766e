import Foundation
import Testing

@testable import FerryMigration

/// RFC 4515 escaping and the directory's attribute forms, as tables.
struct LDAPFilterTests {
    @Test(arguments: [
        ("ada", "ada"),
        ("*", "\\2a"),
        ("*)(uid=*", "\\2a\\29\\28uid=\\2a"),
        ("ada)(|(objectClass=*)", "ada\\29\\28|\\28objectClass=\\2a\\29"),
        ("back\\slash", "back\\5cslash"),
        ("nul\u{0}byte", "nul\\00byte"),
        ("zoë@example.com", "zoë@example.com"),
    ])
    func identifiersAreEscaped(_ identifier: String, _ escaped: String) {
        #expect(LDAPFilter.escape(identifier) == escaped)
        #expect(LDAPFilter.user("(uid={identifier})", identifier: identifier) == "(uid=\(escaped))")
    }

    @Test(arguments: [
        ("20240501102030Z", "2024-05-01T10:20:30Z"),
        ("20240501102030.5Z", "2024-05-01T10:20:30Z"),
        ("20240501122030+0200", "2024-05-01T10:20:30Z"),
    ])
    func generalizedTime(_ text: String, _ iso: String) throws {
        let date = try #require(LDAPMapping.generalizedTime(text))
        #expect(abs(date.timeIntervalSince(ISO8601DateFormatter().date(from: iso)!)) < 1)
    }

    @Test(arguments: ["2024", "20240501102030", "20240501102030+02", "abcd0501102030Z"])
    func notGeneralizedTime(_ text: String) {
        #expect(LDAPMapping.generalizedTime(text) == nil)
    }

    @Test(arguments: [
        ("cn=staff,ou=groups,dc=example,dc=com", "staff"),
        ("cn=R\\,D,ou=groups", "R,D"),
        ("CN=Admins+uid=x,dc=example", "Admins"),
        ("plain-role", "plain-role"),
    ])
    func groupsBecomeRoles(_ dn: String, _ role: String) {
        #expect(LDAPMapping.firstRDNValue(dn) == role)
    }
}
