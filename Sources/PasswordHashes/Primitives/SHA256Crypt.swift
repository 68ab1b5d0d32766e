/// Ulrich Drepper's SHA-256 crypt, with a salt of any length: libxcrypt
/// (like glibc) cuts salts at 16 bytes, and MySQL 8's
/// `caching_sha2_password` uses 20, so the algorithm is spelled out here.
/// Answers the 43-character encoded digest.
enum SHA256Crypt {
    static func digest(password: [UInt8], salt: [UInt8], rounds: Int) -> [UInt8] {
        let sha256 = DigestAlgorithm.sha256
        let b = sha256.digest(password + salt + password)
        var a = password + salt
        a += repeated(b, to: password.count)
        var bits = password.count
        while bits > 0 {
            a += bits & 1 != 0 ? b : password
            bits >>= 1
        }
        var c = sha256.digest(a)
        let p = repeated(
            sha256.digest(Array(repeating: password, count: password.count).flatMap { $0 }), to: password.count)
        let s = repeated(
            sha256.digest(Array(repeating: salt, count: 16 + Int(c[0])).flatMap { $0 }), to: salt.count)
        for round in 0..<rounds {
            var context = round & 1 != 0 ? p : c
            if round % 3 != 0 { context += s }
            if round % 7 != 0 { context += p }
            context += round & 1 != 0 ? c : p
            c = sha256.digest(context)
        }
        let groups: [(Int, Int, Int)] = [
            (0, 10, 20), (21, 1, 11), (12, 22, 2), (3, 13, 23), (24, 4, 14), (15, 25, 5), (6, 16, 26), (27, 7, 17),
            (18, 28, 8), (9, 19, 29),
        ]
        var out: [UInt8] = []
        for (first, second, third) in groups {
            out += Crypt64.encodeGroup(c[first], c[second], c[third], characters: 4)
        }
        out += Crypt64.encodeGroup(0, c[31], c[30], characters: 3)
        return out
    }

    /// `block` repeated and cut to `count` bytes.
    private static func repeated(_ block: [UInt8], to count: Int) -> [UInt8] {
        guard !block.isEmpty else { return [] }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count { out += block.prefix(count - out.count) }
        return out
    }
}
