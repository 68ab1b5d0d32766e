import Foundation

/// RFC 6901 pointers into a decoded JSON document (`JSONSerialization`).
public enum JSONPointer {
    /// `/a/b/0`, with `~1` for `/` and `~0` for `~`; nil when nothing is there.
    public static func resolve(_ pointer: String, in document: Any) -> Any? {
        var current: Any = document
        for token in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if let object = current as? [String: Any], let next = object[key] {
                current = next
            } else if let array = current as? [Any], let index = Int(key), array.indices.contains(index) {
                current = array[index]
            } else {
                return nil
            }
        }
        return current
    }

    /// The value when it is a JSON boolean. JSONSerialization gives `true`
    /// and `1` both as NSNumber, and `as? Bool` takes either; only the class
    /// tells a JSON boolean apart.
    public static func boolean(_ value: Any) -> Bool? {
        guard let number = value as? NSNumber, type(of: number) == type(of: NSNumber(value: true)) else { return nil }
        return number.boolValue
    }

    /// Text as written, numbers as JSON wrote them, booleans as `true`/`false`;
    /// nil for anything else.
    public static func text(_ value: Any?) -> String? {
        switch value {
        case let text as String: return text
        case let number as NSNumber:
            if let flag = boolean(number) { return flag ? "true" : "false" }
            return number.stringValue
        default: return nil
        }
    }
}
