/// One entry of `migration.hold_on_legacy`: which accounts stay on legacy
/// however they log in, so that privileged users (admins, staff) move only
/// when an operator decides. Written `role:NAME` (the user has that role from
/// `legacy.roles_query`), `NAME` (the carried attribute is set: true, non-zero,
/// non-empty) or `NAME=VALUE` (the attribute reads as VALUE: `true`/`false`,
/// a decimal number, or the text).
public enum HoldRule: Equatable, Sendable, CustomStringConvertible {
    case role(String)
    case attributeSet(String)
    case attributeEquals(String, String)

    /// nil and a message when `text` is not a rule.
    public static func parse(_ text: String) -> (rule: HoldRule?, problem: String?) {
        func isName(_ name: Substring) -> Bool {
            !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        }
        if text.hasPrefix("role:") {
            let role = text.dropFirst("role:".count)
            guard !role.isEmpty else { return (nil, "names no role after `role:`") }
            return (.role(String(role)), nil)
        }
        if let equals = text.firstIndex(of: "=") {
            let name = text[..<equals]
            guard isName(name) else { return (nil, "must start with an attribute name (letters, digits, `_`)") }
            return (.attributeEquals(String(name), String(text[text.index(after: equals)...])), nil)
        }
        guard isName(Substring(text)) else {
            return (nil, "must be `role:NAME`, an attribute name, or `NAME=VALUE`")
        }
        return (.attributeSet(text), nil)
    }

    public var description: String {
        switch self {
        case .role(let role): return "role:\(role)"
        case .attributeSet(let name): return name
        case .attributeEquals(let name, let value): return "\(name)=\(value)"
        }
    }
}

/// One entry of `target.scim_attributes`: a carried attribute written to a
/// SCIM attribute, `NAME = PATH`, PATH being a core attribute (`title`) or a
/// schema URN and attribute
/// (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`).
public struct SCIMAttributeMapping: Equatable, Sendable, CustomStringConvertible {
    public let attribute: String
    /// nil for a core attribute.
    public let schema: String?
    public let name: String

    public static func parse(_ text: String) -> (mapping: SCIMAttributeMapping?, problem: String?) {
        let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            return (nil, "must be `ATTRIBUTE = SCIM_PATH`")
        }
        let path = parts[1]
        func isSCIMName(_ name: Substring) -> Bool {
            guard let first = name.first, first.isASCII, first.isLetter else { return false }
            return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "$") }
        }
        if path.lowercased().hasPrefix("urn:") {
            guard let colon = path.lastIndex(of: ":"), isSCIMName(path[path.index(after: colon)...]) else {
                return (nil, "must end its schema URN with `:attributeName`")
            }
            return (
                .init(
                    attribute: parts[0], schema: String(path[..<colon]), name: String(path[path.index(after: colon)...])
                ), nil
            )
        }
        guard isSCIMName(Substring(path)) else {
            return (nil, "must name a SCIM attribute (`title`) or a schema URN and attribute")
        }
        return (.init(attribute: parts[0], schema: nil, name: path), nil)
    }

    public var description: String { "\(attribute) = \(schema.map { "\($0):" } ?? "")\(name)" }
}
