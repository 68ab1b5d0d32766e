/// Whether a request names its host the way HTTP/1.1 requires (RFC 9112
/// §3.2): exactly one Host, holding a host name, an IPv4 address or a
/// bracketed IPv6 address, and an optional port. nginx answers anything else
/// with 400, and so does Ferry: two Host headers are read as the first by some
/// servers and the last by others, so routing and the upstream would disagree.
enum HostHeader {
    /// What is wrong with `authority` (the first Host) given how many Host
    /// headers followed it; nil when it is fine.
    static func problem(authority: String?, repeatedHosts: Int) -> String? {
        guard repeatedHosts == 0 else { return "request has more than one Host header" }
        guard let authority else { return "request has no Host header" }
        guard !authority.isEmpty else { return "request has an empty Host header" }
        return isValid(authority) ? nil : "request has a malformed Host header"
    }

    /// A DNS name has at most 253 characters; with ":65535", 259.
    static let maximumLength = 259

    static func isValid(_ authority: String) -> Bool {
        guard authority.utf8.count <= maximumLength else { return false }
        var host = Substring(authority)
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let inside = host[host.index(after: host.startIndex)..<close]
            guard !inside.isEmpty, inside.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
            let rest = host[host.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { return false }
                port = rest.dropFirst()
            }
            host = inside
        } else {
            if let colon = host.lastIndex(of: ":") {
                port = host[host.index(after: colon)...]
                host = host[..<colon]
            }
            guard !host.isEmpty,
                host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._~!$&'()*+,;=%".contains($0)) })
            else { return false }
        }
        if let port {
            guard !port.isEmpty, port.count <= 5, port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber),
                let number = Int(port), number <= 65535
            else { return false }
        }
        return true
    }
}
