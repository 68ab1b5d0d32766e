/// The crypt(3) formats libxcrypt verifies: md5-crypt `$1$`, sha256-crypt `$5$`,
/// sha512-crypt `$6$`, yescrypt `$y$`, gost-yescrypt `$gy$`, scrypt `$7$`,
/// NetBSD's sha1-crypt `$sha1$`, Sun's md5-crypt `$md5$`,
/// traditional DES and BSDi extended DES. Parameters are read here first so that
/// Ferry's cost ceilings apply before libxcrypt does any work.
struct CryptScheme: HashScheme {
    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        if hash.hasPrefix("$1$") { return try parseMD5(hash) }
        if hash.hasPrefix("$5$") { return try parseSHA(hash, scheme: "sha256-crypt", digestLength: 43, limits: limits) }
        if hash.hasPrefix("$6$") { return try parseSHA(hash, scheme: "sha512-crypt", digestLength: 86, limits: limits) }
        if hash.hasPrefix("$y$") { return try parseYescrypt(hash, scheme: "yescrypt", prefix: "$y$", limits: limits) }
        if hash.hasPrefix("$gy$") {
            return try parseYescrypt(hash, scheme: "gost-yescrypt", prefix: "$gy$", limits: limits)
        }
        if hash.hasPrefix("$7$") { return try parseScrypt(hash, limits: limits) }
        if hash.hasPrefix("$sha1$") { return try parseSHA1Crypt(hash, limits: limits) }
        if hash.hasPrefix("$md5$") || hash.hasPrefix("$md5,") { return try parseSunMD5(hash, limits: limits) }
        if hash.hasPrefix("_") && hash.utf8.count == 20 && hash.utf8.dropFirst().allSatisfy(Self.isCrypt64) {
            return CryptHash(scheme: "bsdi-crypt", parameters: [], hash: hash)
        }
        if hash.utf8.count == 13 && hash.utf8.allSatisfy(Self.isCrypt64) {
            return CryptHash(scheme: "des-crypt", parameters: [], hash: hash)
        }
        return nil
    }

    static func isCrypt64(_ c: UInt8) -> Bool { Crypt64.index(of: c) != nil }

    private func parseMD5(_ hash: String) throws(HashError) -> any ParsedHash {
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[2].utf8.count <= 8, parts[3].utf8.count == 22,
            parts[3].utf8.allSatisfy(Self.isCrypt64)
        else {
            throw .malformed(scheme: "md5-crypt", reason: "expected $1$<salt up to 8>$<22-char digest>")
        }
        return CryptHash(scheme: "md5-crypt", parameters: [("rounds", "1000")], hash: hash)
    }

    private func parseSHA(_ hash: String, scheme: String, digestLength: Int, limits: CostLimits) throws(HashError)
        -> any ParsedHash
    {
        var parts = hash.split(separator: "$", omittingEmptySubsequences: false).dropFirst(2)
        var rounds = 5000
        if let first = parts.first, first.hasPrefix("rounds=") {
            guard let value = Int(first.dropFirst("rounds=".count)), value >= 0 else {
                throw .malformed(scheme: scheme, reason: "rounds= must be a number")
            }
            // crypt(3) clamps rounds to 1000…999,999,999.
            rounds = min(max(value, 1000), 999_999_999)
            parts = parts.dropFirst()
        }
        guard parts.count == 2, let digest = parts.last, digest.utf8.count == digestLength,
            digest.utf8.allSatisfy(Self.isCrypt64)
        else {
            throw .malformed(scheme: scheme, reason: "expected [rounds=N$]<salt>$<\(digestLength)-char digest>")
        }
        try limits.checkIterations(rounds, scheme: scheme, name: "rounds")
        return CryptHash(scheme: scheme, parameters: [("rounds", String(rounds))], hash: hash)
    }

    /// NetBSD: `$sha1$<rounds>$<salt>$<28-char checksum>`, HMAC-SHA1 chained
    /// `rounds` times.
    private func parseSHA1Crypt(_ hash: String, limits: CostLimits) throws(HashError) -> any ParsedHash {
        let scheme = "sha1-crypt"
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, let rounds = Int(parts[2]), parts[3].utf8.count <= 64,
            parts[3].utf8.allSatisfy(Self.isCrypt64), parts[4].utf8.count == 28,
            parts[4].utf8.allSatisfy(Self.isCrypt64)
        else {
            throw .malformed(scheme: scheme, reason: "expected $sha1$<rounds>$<salt up to 64>$<28-char checksum>")
        }
        try limits.checkIterations(rounds, scheme: scheme, name: "rounds")
        return CryptHash(scheme: scheme, parameters: [("rounds", String(rounds))], hash: hash)
    }

    /// Solaris: `$md5[,rounds=N]$<salt>[$]$<22-char checksum>`, 4096 + N MD5 rounds.
    private func parseSunMD5(_ hash: String, limits: CostLimits) throws(HashError) -> any ParsedHash {
        let scheme = "sun-md5-crypt"
        let reason = "expected $md5[,rounds=N]$<salt up to 8>$[$]<22-char checksum>"
        var parts = hash.split(separator: "$", omittingEmptySubsequences: false).dropFirst()
        var extra = 0
        // The rounds ride either after a comma or as their own `rounds=` field.
        var head = parts.removeFirst()
        if head.hasPrefix("md5,rounds=") {
            guard let value = Int(head.dropFirst("md5,rounds=".count)) else {
                throw .malformed(scheme: scheme, reason: reason)
            }
            extra = value
        } else if head == "md5", let next = parts.first, next.hasPrefix("rounds=") {
            guard let value = Int(next.dropFirst("rounds=".count)) else {
                throw .malformed(scheme: scheme, reason: reason)
            }
            extra = value
            parts = parts.dropFirst()
        } else {
            guard head == "md5" else { throw .malformed(scheme: scheme, reason: reason) }
        }
        head = parts.first ?? ""
        let rest = Array(parts.dropFirst())
        guard head.utf8.count <= 8, head.utf8.allSatisfy(Self.isCrypt64),
            rest.count == 1 || (rest.count == 2 && rest[0].isEmpty), let checksum = rest.last,
            checksum.utf8.count == 22, checksum.utf8.allSatisfy(Self.isCrypt64), (0..<(1 << 40)).contains(extra)
        else { throw .malformed(scheme: scheme, reason: reason) }
        try limits.checkIterations(4096 + extra, scheme: scheme, name: "rounds")
        return CryptHash(scheme: scheme, parameters: [("rounds", String(4096 + extra))], hash: hash)
    }

    private func parseYescrypt(_ hash: String, scheme: String, prefix: String, limits: CostLimits) throws(HashError)
        -> any ParsedHash
    {
        let body = Array(hash.utf8.dropFirst(prefix.utf8.count))
        guard let params = body.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false).first,
            body.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false).count == 3
        else {
            throw .malformed(scheme: scheme, reason: "expected \(prefix)<params>$<salt>$<digest>")
        }
        var reader = YescryptParameterReader(Array(params))
        guard reader.read(minimum: 0) != nil, let nLog2 = reader.read(minimum: 1), let r = reader.read(minimum: 1),
            nLog2 < 40
        else {
            throw .malformed(scheme: scheme, reason: "cannot read the N and r parameters")
        }
        guard let memory = Self.scryptMemory(nLog2: nLog2, r: r), memory <= UInt64(limits.maxScryptMemory) else {
            let needs = Self.scryptMemory(nLog2: nLog2, r: r).map { "\($0 >> 20) MiB" } ?? "more than 2^64 bytes"
            throw .overLimit(
                scheme: scheme, reason: "needs \(needs), more than the limit of \(limits.maxScryptMemory >> 20) MiB")
        }
        return CryptHash(scheme: scheme, parameters: [("N", "2^\(nLog2)"), ("r", String(r))], hash: hash)
    }

    private func parseScrypt(_ hash: String, limits: CostLimits) throws(HashError) -> any ParsedHash {
        let scheme = "scrypt-crypt"
        let chars = Array(hash.utf8.dropFirst(3))
        guard chars.count > 11, let nLog2 = Crypt64.index(of: chars[0]), let r = Self.read30(chars[1..<6]),
            let p = Self.read30(chars[6..<11]), nLog2 >= 1, nLog2 < 40, r >= 1, p >= 1,
            chars.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false).count == 2
        else {
            throw .malformed(scheme: scheme, reason: "expected $7$<N><r><p><salt>$<digest>")
        }
        guard let memory = Self.scryptMemory(nLog2: nLog2, r: r), memory <= UInt64(limits.maxScryptMemory),
            p <= limits.maxScryptParallelism
        else {
            throw .overLimit(scheme: scheme, reason: "N=2^\(nLog2), r=\(r), p=\(p) exceed the configured limits")
        }
        return CryptHash(
            scheme: scheme, parameters: [("N", "2^\(nLog2)"), ("r", String(r)), ("p", String(p))], hash: hash)
    }

    /// Bytes scrypt needs, 128 · 2^nLog2 · r; nil when that does not fit in 64
    /// bits (r read from a stored hash can be up to 2^36, nLog2 up to 39).
    static func scryptMemory(nLog2: Int, r: Int) -> UInt64? {
        guard (0..<40).contains(nLog2), r >= 0 else { return nil }
        let (memory, overflow) = (UInt64(128) << UInt64(nLog2)).multipliedReportingOverflow(by: UInt64(r))
        return overflow ? nil : memory
    }

    /// Five crypt64 characters, least significant first.
    private static func read30(_ chars: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for (offset, c) in chars.enumerated() {
            guard let digit = Crypt64.index(of: c) else { return nil }
            value |= digit << (6 * offset)
        }
        return value
    }
}

/// yescrypt's variable-length integers: one character for values below 48, and
/// a first character from a narrower range followed by more characters above.
struct YescryptParameterReader {
    private let chars: [UInt8]
    private var position = 0

    init(_ chars: [UInt8]) { self.chars = chars }

    mutating func read(minimum: Int) -> Int? {
        guard position < chars.count, let first = Crypt64.index(of: chars[position]) else { return nil }
        position += 1
        var start = 0
        var end = 47
        var extra = 0
        var skipped = 0
        while first > end {
            skipped += (end + 1 - start) << (6 * extra)
            start = end + 1
            end = start + (62 - end) / 2
            extra += 1
            guard start <= 63 else { return nil }
        }
        var value = first - start
        for _ in 0..<extra {
            guard position < chars.count, let next = Crypt64.index(of: chars[position]) else { return nil }
            position += 1
            value = value << 6 | next
        }
        return value + skipped + minimum
    }
}

struct CryptHash: ParsedHash {
    let scheme: String
    let parameters: [(name: String, value: String)]
    let hash: String

    func verify(_ password: [UInt8]) -> Bool {
        SystemCrypt.verify(password, hash: hash)
    }
}

/// Wraps a parsed hash under another scheme id, for prefixes such as LDAP's
/// `{CRYPT}` and Django's `crypt$$` that only announce an inner format.
struct RelabeledHash: ParsedHash {
    let scheme: String
    let inner: any ParsedHash

    var parameters: [(name: String, value: String)] { [("inner", inner.scheme)] + inner.parameters }

    func verify(_ password: [UInt8]) -> Bool { inner.verify(password) }
}
