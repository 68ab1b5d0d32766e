import FerryConfig

/// Whether an account stays on legacy because of what it says about the
/// user's privileges. Nothing the legacy row says about privileges is dropped
/// silently: an account matching `migration.hold_on_legacy` waits for an
/// operator's decision, and an account with roles waits while the target
/// cannot carry roles (an sql target without `role_statements`).
public enum PrivilegeHold {
    /// Why `account` is held, for operators (names rules and roles, never
    /// values); nil when it may move.
    public static func reason(
        roles: [String], attributes: [String: AttributeValue], rules: [HoldRule], targetCarriesRoles: Bool
    ) -> String? {
        for rule in rules {
            switch rule {
            case .role(let role) where roles.contains(role):
                return "held on legacy by hold_on_legacy rule \"\(rule)\""
            case .attributeSet(let name) where attributes[name]?.isSet == true:
                return "held on legacy by hold_on_legacy rule \"\(rule)\""
            case .attributeEquals(let name, let value) where attributes[name]?.ruleText == value:
                return "held on legacy by hold_on_legacy rule \"\(rule)\""
            default: continue
            }
        }
        if !roles.isEmpty && !targetCarriesRoles {
            return "the user has roles and the target cannot carry them (set target.role_statements)"
        }
        return nil
    }
}
