import Testing

@testable import FerryConfig

/// `[legacy] kind = "ldap"` and `[legacy.ldap]`: what is required, and the
/// mistakes a person makes, each named once.
struct LDAPConfigTests {
    static let head = "[server]\nlisten = \"127.0.0.1:0\"\n[legacy]\nkind = \"ldap\"\n"
    static let ldap = """
        [legacy.ldap]
        url = "ldap://127.0.0.1:389"
        bind_dn = "cn=ferry,dc=example,dc=com"
        bind_password_env = "LDAP_PASSWORD"
        base_dn = "dc=example,dc=com"
        user_filter = "(uid={identifier})"
        """

    @Test func aDirectoryNeedsNoDatabaseOrQuery() throws {
        let config = try ProxyConfig.parse(
            Self.head + Self.ldap, file: "t.conf", baseDirectory: "/tmp", environment: ["LDAP_PASSWORD": "x"])
        let legacy = try #require(config.legacy)
        #expect(legacy.kind == .ldap && legacy.sqlDatabase == nil)
        #expect(legacy.ldap?.userFilter == "(uid={identifier})")
        #expect(legacy.ldap?.verify == .auto)
    }

    @Test(arguments: [
        (
            "", "url = \"ldap://127.0.0.1:389\"", "url = \"http://dir\"",
            "proxy.conf:6: key `legacy.ldap.url` must be ldap://host:port or ldaps://host:port, found \"http://dir\""
        ),
        (
            "", "user_filter = \"(uid={identifier})\"", "user_filter = \"(uid=ada)\"",
            "proxy.conf:10: key `legacy.ldap.user_filter` must contain {identifier}, e.g. (uid={identifier})"
        ),
        (
            "", "user_filter = \"(uid={identifier})\"", "user_filter = \"(uid={identifier})(mail=x)\"",
            "proxy.conf:10: key `legacy.ldap.user_filter` must be one parenthesised LDAP filter with balanced parentheses"
        ),
        (
            "", "bind_password_env = \"LDAP_PASSWORD\"", "",
            "proxy.conf:5: key `legacy.ldap.bind_password_file` or `bind_password_env` is required: the service account's password"
        ),
        (
            "", "url = \"ldap://127.0.0.1:389\"", "url = \"ldaps://127.0.0.1:636\"\nstart_tls = true",
            "proxy.conf:7: key `legacy.ldap.start_tls` applies to ldap:// only; ldaps:// is TLS from the first byte"
        ),
        (
            "user_query = \"SELECT 1\"\n", "", "",
            "proxy.conf:5: key `legacy.user_query` is SQL; with `kind = \"ldap\"` legacy is read through `[legacy.ldap]`"
        ),
        (
            "", "attributes = []", "attributes = [\"nickname=cn\"]",
            "proxy.conf:11: key `legacy.ldap.attributes` entry \"nickname=cn\" names no canonical field; use one of username, email, given_name, family_name, phone, locale, roles, created_at, password_hash"
        ),
    ])
    func mistakesAreNamed(_ legacyExtra: String, _ replaced: String, _ replacement: String, _ expected: String) {
        var ldap = Self.ldap
        if replaced == "attributes = []" {
            ldap += "\n" + replacement
        } else if !replaced.isEmpty {
            ldap = ldap.replacingOccurrences(of: replaced, with: replacement)
        }
        let found = issues(Self.head + legacyExtra + ldap, environment: ["LDAP_PASSWORD": "x"])
        #expect(found.contains(expected), "\(found)")
    }

    @Test func kindLDAPWithoutItsTableSaysSo() {
        #expect(
            issues(Self.head).contains(
                "proxy.conf:4: key `legacy.kind` is \"ldap\", so `[legacy.ldap]` must say which directory to read"))
    }

    @Test func sqlStillNeedsItsDatabaseAndQuery() {
        let found = issues("[server]\nlisten = \"127.0.0.1:0\"\n[legacy]\nallow_plaintext = false\n")
        #expect(found.contains { $0.contains("missing required key `legacy.database`") }, "\(found)")
        #expect(found.contains { $0.contains("missing required key `legacy.user_query`") }, "\(found)")
    }
}
