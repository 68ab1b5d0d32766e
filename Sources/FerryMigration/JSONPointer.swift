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
}
