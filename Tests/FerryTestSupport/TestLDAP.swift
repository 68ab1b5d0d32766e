import Foundation

/// The directory the tests may use: `FERRY_TEST_LDAP_URL`, which `scripts/test`
/// sets after starting a throwaway slapd (`scripts/ldap-throwaway`). Its tree
/// is read-only to the tests except for the password-policy counters that
/// binds advance; a test that locks someone uses a customer no other test needs.
public enum TestLDAP {
    public static var url: String? { ProcessInfo.processInfo.environment["FERRY_TEST_LDAP_URL"] }
    public static var servicePasswordFile: String? {
        ProcessInfo.processInfo.environment["FERRY_TEST_LDAP_SERVICE_PASSWORD_FILE"]
    }
    public static var caFile: String? { ProcessInfo.processInfo.environment["FERRY_TEST_LDAP_CA"] }

    /// A `[legacy]` table reading the throwaway tree with the service account.
    public static func legacyTables(verify: String = "auto", extra: String = "") -> String {
        """
        [legacy]
        kind = "ldap"
        [legacy.ldap]
        url = "\(url ?? "ldap://127.0.0.1:1")"
        bind_dn = "cn=ferry,ou=services,dc=example,dc=com"
        bind_password_file = "\(servicePasswordFile ?? "/nonexistent")"
        base_dn = "ou=people,dc=example,dc=com"
        user_filter = "(&(objectClass=inetOrgPerson)(|(uid={identifier})(mail={identifier})))"
        all_users_filter = "(objectClass=inetOrgPerson)"
        verify = "\(verify)"
        \(extra)
        """
    }
}
