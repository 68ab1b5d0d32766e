import Foundation

/// SASLprep (RFC 4013) as PostgreSQL applies it to SCRAM passwords: ASCII
/// passes untouched; otherwise non-ASCII spaces become U+0020, characters
/// "commonly mapped to nothing" go, and the result is NFKC-normalised. When
/// the result holds a prohibited character, or the bytes are not UTF-8,
/// PostgreSQL uses the raw bytes instead, and so does this.
enum SASLprep {
    static func prepare(_ password: [UInt8]) -> [UInt8] {
        guard password.contains(where: { $0 >= 0x80 }) else { return password }
        guard let text = String(validating: password, as: UTF8.self) else { return password }
        var mapped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where !mappedToNothing(scalar.value) {
            mapped.append(nonASCIISpace(scalar.value) ? " " : scalar)
        }
        let normalized = String(mapped).precomposedStringWithCompatibilityMapping
        guard !normalized.unicodeScalars.contains(where: { prohibited($0.value) }), !normalized.isEmpty else {
            return password
        }
        return Array(normalized.utf8)
    }

    /// RFC 3454 table B.1.
    static func mappedToNothing(_ value: UInt32) -> Bool {
        switch value {
        case 0x00AD, 0x034F, 0x1806, 0x180B...0x180D, 0x200B...0x200D, 0x2060, 0xFE00...0xFE0F, 0xFEFF: true
        default: false
        }
    }

    /// RFC 3454 table C.1.2.
    static func nonASCIISpace(_ value: UInt32) -> Bool {
        switch value {
        case 0x00A0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// RFC 3454 tables C.1.2 to C.9 (spaces were mapped already, so any left
    /// came from normalisation): controls, private use, non-characters,
    /// surrogates, layout and tagging characters.
    static func prohibited(_ value: UInt32) -> Bool {
        switch value {
        case 0x00A0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: true
        case 0x0000...0x001F, 0x007F...0x009F, 0x06DD, 0x070F, 0x180E, 0x200C, 0x200D, 0x2028, 0x2029,
            0x2060...0x2063, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFD, 0x1D173...0x1D17A:
            true
        case 0xE000...0xF8FF, 0xF0000...0xFFFFD, 0x100000...0x10FFFD: true
        case 0xFDD0...0xFDEF: true
        case _ where value & 0xFFFE == 0xFFFE: true
        case 0xD800...0xDFFF, 0x0340, 0x0341, 0x200E, 0x200F, 0x202A...0x202E, 0x2FF0...0x2FFB: true
        case 0xE0001, 0xE0020...0xE007F: true
        default: false
        }
    }
}
