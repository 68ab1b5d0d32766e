/// A request path as the router compares it.
///
/// Upstream frameworks answer `/login/`, `//login`, `/a/../login`,
/// `/%6Cogin` and (Java servlet containers) `/login;jsessionid=x` as `/login`,
/// so a route that compared the raw path would let those reach the login
/// unguarded. Matching uses this normal form; the request is forwarded with its
/// path as sent.
enum RoutePath {
    /// The normal form of `path`: percent-escapes of unreserved characters
    /// decoded (RFC 3986 §6.2.2.2) and the rest upper-cased, `;parameters`
    /// dropped from each segment, empty and `.` segments removed, `..` applied
    /// (never above the root), no trailing slash, and lower-cased when the
    /// legacy platform matches paths without regard to case.
    static func normalized(_ path: String, caseInsensitive: Bool) -> String {
        var segments: [String] = []
        for rawSegment in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            var segment = decodingUnreserved(rawSegment)
            if let semicolon = segment.firstIndex(of: UInt8(ascii: ";")) {
                segment.removeSubrange(semicolon...)
            }
            switch segment {
            case [], [UInt8(ascii: ".")]:
                continue
            case [UInt8(ascii: "."), UInt8(ascii: ".")]:
                _ = segments.popLast()
            default:
                let text = String(decoding: segment, as: UTF8.self)
                segments.append(caseInsensitive ? text.lowercased() : text)
            }
        }
        return "/" + segments.joined(separator: "/")
    }

    /// `%41` → `A` for letters, digits and `-._~`; other escapes are kept,
    /// their hex upper-cased, so `%2f` and `%2F` compare equal and neither
    /// becomes a segment separator.
    private static func decodingUnreserved(_ bytes: Substring.UTF8View) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            let second = bytes.index(index, offsetBy: 1, limitedBy: bytes.endIndex) ?? bytes.endIndex
            let third = second < bytes.endIndex ? bytes.index(after: second) : bytes.endIndex
            if byte == UInt8(ascii: "%"), third < bytes.endIndex, let high = hex(bytes[second]),
                let low = hex(bytes[third])
            {
                let decoded = high << 4 | low
                if isUnreserved(decoded) {
                    output.append(decoded)
                } else {
                    output += [UInt8(ascii: "%"), upperHex(high), upperHex(low)]
                }
                index = bytes.index(after: third)
                continue
            }
            output.append(byte)
            index = bytes.index(after: index)
        }
        return output
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func upperHex(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10
    }
}
