// The byte-to-text encodings that password hash formats use. Every decoder
// returns nil on any character or length it does not accept.

public enum Hex {
    public static func encode(_ bytes: [UInt8], uppercase: Bool = false) -> String {
        let digits = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = value(chars[index]), let low = value(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    static func isHex<S: StringProtocol>(_ text: S) -> Bool { text.utf8.allSatisfy { value($0) != nil } }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// RFC 4648 base64 and its variants: URL-safe, passlib's "adapted" base64 (`.`
/// for `+`, no padding), with or without padding.
struct Base64Alphabet: Sendable {
    static let standard = Base64Alphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    static let url = Base64Alphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    static let passlib = Base64Alphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./")

    let symbols: [UInt8]
    let values: [UInt8]

    init(_ alphabet: String) {
        symbols = Array(alphabet.utf8)
        var table = [UInt8](repeating: 0xff, count: 256)
        for (index, symbol) in symbols.enumerated() { table[Int(symbol)] = UInt8(index) }
        values = table
    }

    func encode(_ bytes: [UInt8], padded: Bool = true) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(symbols[Int(b0 >> 2)])
            out.append(symbols[Int((b0 & 0x03) << 4 | b1 >> 4)])
            if index + 1 < bytes.count {
                out.append(symbols[Int((b1 & 0x0f) << 2 | b2 >> 6)])
            } else if padded {
                out.append(UInt8(ascii: "="))
            }
            if index + 2 < bytes.count {
                out.append(symbols[Int(b2 & 0x3f)])
            } else if padded {
                out.append(UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Accepts padded and unpadded input; ignores nothing else.
    func decode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        var chars = Array(text.utf8)
        var padding = 0
        while chars.last == UInt8(ascii: "=") && padding < 2 {
            chars.removeLast()
            padding += 1
        }
        if padding > 0 && (chars.count + padding) % 4 != 0 { return nil }
        guard chars.count % 4 != 1 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for c in chars {
            let value = values[Int(c)]
            guard value != 0xff else { return nil }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero, or the text is not a canonical encoding.
        if bits > 0 && buffer & ((1 << UInt32(bits)) - 1) != 0 { return nil }
        return out
    }
}

/// The little-endian "./0-9A-Za-z" encoding of crypt(3)-era schemes (md5-crypt,
/// apr1, phpass, Drupal), where groups of 3 bytes become 4 characters low bits first.
enum Crypt64 {
    static let alphabet = Array("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    static func index(of c: UInt8) -> Int? {
        alphabet.firstIndex(of: c)
    }

    /// phpass-style: consecutive bytes, low bits first.
    static func encodeLinear(_ bytes: [UInt8], count: Int) -> [UInt8] {
        var out = [UInt8]()
        var i = 0
        repeat {
            var value = UInt32(bytes[i])
            i += 1
            out.append(alphabet[Int(value & 0x3f)])
            if i < count { value |= UInt32(bytes[i]) << 8 }
            out.append(alphabet[Int((value >> 6) & 0x3f)])
            if i >= count { break }
            i += 1
            if i < count { value |= UInt32(bytes[i]) << 16 }
            out.append(alphabet[Int((value >> 12) & 0x3f)])
            if i >= count { break }
            i += 1
            out.append(alphabet[Int((value >> 18) & 0x3f)])
        } while i < count
        return out
    }

    /// md5-crypt style: 24-bit groups from three chosen bytes, `n` characters.
    static func encodeGroup(_ b2: UInt8, _ b1: UInt8, _ b0: UInt8, characters n: Int) -> [UInt8] {
        var value = UInt32(b2) << 16 | UInt32(b1) << 8 | UInt32(b0)
        var out = [UInt8]()
        for _ in 0..<n {
            out.append(alphabet[Int(value & 0x3f)])
            value >>= 6
        }
        return out
    }
}
