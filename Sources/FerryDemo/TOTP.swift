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
        acceptedStep(code, at: date, window: window) != nil
    }

    /// The time step containing `date`.
    public func step(at date: Date) -> Int64 {
        Int64(max(0, date.timeIntervalSince1970)) / Int64(period)
    }

    /// The time step `code` belongs to, when it is within `window` steps of
    /// the device's clock (`date` shifted by the `drift` learned for it, in
    /// steps) and later than `lastUsed`: as real authenticator stores do, a
    /// code is accepted once (RFC 6238 section 5.2), and no code of an earlier
    /// step after it.
    public func acceptedStep(
        _ code: String, at date: Date, window: Int = 1, drift: Int = 0, after lastUsed: Int64? = nil
    ) -> Int64? {
        let candidate = Array(code.trimmingCharacters(in: .whitespaces).utf8)
        guard candidate.count == digits else { return nil }
        let centre = step(at: date) + Int64(drift)
        var matched: Int64?
        for step in (centre - Int64(window))...(centre + Int64(window)) where step >= 0 {
            if constantTimeEquals(Array(self.code(counter: UInt64(step)).utf8), candidate) { matched = step }
        }
        guard let matched, matched > (lastUsed ?? -1) else { return nil }
        return matched
    }
}
