/// Checks on LDAP filters written in the config, for mistakes a person can
/// fix before the first login: not a full RFC 4515 parser.
public enum LDAPFilterText {
    /// One parenthesised filter whose parentheses balance (escaped ones, `\28`
    /// and `\29`, are not parentheses).
    public static func looksBalanced(_ filter: String) -> Bool {
        guard filter.hasPrefix("("), filter.hasSuffix(")") else { return false }
        var depth = 0
        for (index, character) in filter.enumerated() {
            switch character {
            case "(": depth += 1
            case ")":
                depth -= 1
                // Closed before the end: two filters side by side, `(a)(b)`.
                if depth < 0 || (depth == 0 && index < filter.count - 1) { return false }
            default: break
            }
        }
        return depth == 0
    }
}
