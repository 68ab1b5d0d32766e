import Foundation
import PasswordHashes

/// Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP), as both sample
/// platforms use them for their second login step.
public struct TOTP: Equatable, Sendable {
    public var secret: [UInt8]
    public var digits: Int
    public var period: Int
    public var algorithm: DigestAlgorithm

    public init(secret: [UInt8], digits: Int = 6, period: Int = 30, algorithm: DigestAlgorithm = .sha1) {
        self.secret = secret
        self.digits = digits
        self.period = period
        self.algorithm = algorithm
    }

    /// The code for the time step containing `date`.
    public func code(at date: Date) -> String {
        code(counter: UInt64(max(0, date.timeIntervalSince1970)) / UInt64(period))
    }

    func code(counter: UInt64) -> String {
        let message = (0..<8).map { UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64($0))) }
        let mac = algorithm.hmac(key: secret, message)
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary =
            (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// Accepts the current step and one step either side (clock drift), comparing
    /// in constant time.
    public func verify(_ code: String, at date: Date, window: Int = 1) -> Bool {
        let candidate = Array(code.trimmingCharacters(in: .whitespaces).utf8)
        guard candidate.count == digits else { return false }
        let now = Int64(max(0, date.timeIntervalSince1970)) / Int64(period)
        var matched = false
        for step in (now - Int64(window))...(now + Int64(window)) where step >= 0 {
            matched = constantTimeEquals(Array(self.code(counter: UInt64(step)).utf8), candidate) || matched
        }
        return matched
    }
}

/// RFC 4648 base32, the encoding TOTP secrets travel in (otpauth:// URIs).
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int((buffer >> UInt32(bits)) & 31)])
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Accepts upper or lower case, ignores padding and spaces; nil on anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for character in text.uppercased().utf8 where character != UInt8(ascii: "=") && character != UInt8(ascii: " ") {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = buffer << 5 | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return out
    }
}
