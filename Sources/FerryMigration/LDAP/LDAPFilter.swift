import Foundation
import PasswordHashes

/// Search filters with the customer's identifier in them (RFC 4515). The
/// identifier is escaped byte by byte, so `*)(uid=*` is a literal name nobody
/// has, never a wider search.
public enum LDAPFilter {
    /// `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`;
    /// every other byte (UTF-8 included) stays as it is, as RFC 4515 allows.
    public static func escape(_ value: String) -> String {
        var out: [UInt8] = []
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "*"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\\"), 0:
                out += Array("\\\(Hex.encode([byte]))".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `template` with every `{identifier}` replaced by the escaped identifier.
    public static func user(_ template: String, identifier: String) -> String {
        template.replacingOccurrences(of: "{identifier}", with: escape(identifier))
    }
}
