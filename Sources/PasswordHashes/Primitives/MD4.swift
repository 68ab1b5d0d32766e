/// MD4 (RFC 1320), for the NT hash only: MD4 of the password in UTF-16LE,
/// as Windows, Samba (`sambaNTPassword`) and FreeBSD's `$3$` store it.
/// OpenSSL 3 keeps MD4 in its legacy provider, which a default install does
/// not load; the algorithm is small, and held to RFC 1320's test suite.
enum MD4 {
    static func digest(_ message: [UInt8]) -> [UInt8] {
        var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476)
        var padded = message + [0x80]
        while padded.count % 64 != 56 { padded.append(0) }
        let bits = UInt64(message.count) &* 8
        for shift in stride(from: 0, to: 64, by: 8) { padded.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        func rotl(_ x: UInt32, _ s: UInt32) -> UInt32 { (x << s) | (x >> (32 - s)) }
        for block in stride(from: 0, to: padded.count, by: 64) {
            var x = [UInt32](repeating: 0, count: 16)
            for i in 0..<16 {
                let at = block + i * 4
                x[i] =
                    UInt32(padded[at]) | UInt32(padded[at + 1]) << 8 | UInt32(padded[at + 2]) << 16
                    | UInt32(padded[at + 3]) << 24
            }
            var (a, b, c, d) = state
            let first: [UInt32] = [3, 7, 11, 19]
            for i in 0..<16 {
                let f = (b & c) | (~b & d)
                (a, b, c, d) = (d, rotl(a &+ f &+ x[i], first[i % 4]), b, c)
            }
            let second: [UInt32] = [3, 5, 9, 13]
            for (i, k) in [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15].enumerated() {
                let g = (b & c) | (b & d) | (c & d)
                (a, b, c, d) = (d, rotl(a &+ g &+ x[k] &+ 0x5a82_7999, second[i % 4]), b, c)
            }
            let third: [UInt32] = [3, 9, 11, 15]
            for (i, k) in [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15].enumerated() {
                let h = b ^ c ^ d
                (a, b, c, d) = (d, rotl(a &+ h &+ x[k] &+ 0x6ed9_eba1, third[i % 4]), b, c)
            }
            state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
        }
        return [state.0, state.1, state.2, state.3].flatMap { word in
            [
                UInt8(truncatingIfNeeded: word), UInt8(truncatingIfNeeded: word >> 8),
                UInt8(truncatingIfNeeded: word >> 16),
                UInt8(truncatingIfNeeded: word >> 24),
            ]
        }
    }

    /// The NT hash: MD4 of the password's UTF-16LE; nil when the password
    /// bytes are not UTF-8 (then nothing matches).
    static func ntHash(_ password: [UInt8]) -> [UInt8]? {
        guard let text = String(validating: password, as: UTF8.self) else { return nil }
        return digest(text.utf16.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] })
    }
}
