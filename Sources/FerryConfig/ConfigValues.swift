// Parsers for the value shapes proxy.conf uses beyond plain TOML types. Each
// returns nil for anything it does not accept; the reader turns that into an
// "expected …, found …" issue.

/// Parses durations written like `"250ms"`, `"30s"`, `"5m"`, `"1h"`, `"7d"`, or
/// combinations such as `"1m30s"`.
public func parseDuration(_ text: String) -> Duration? {
    let units: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]
    var rest = Substring(text)
    var total: Int64 = 0
    guard !rest.isEmpty else { return nil }
    while !rest.isEmpty {
        let digits = rest.prefix(while: \.isASCIIDigit)
        guard !digits.isEmpty, digits.count <= 9, let number = Int64(digits) else { return nil }
        rest = rest.dropFirst(digits.count)
        // Longest suffix first so "ms" is not read as "m".
        guard
            let unit = units.sorted(by: { $0.suffix.count > $1.suffix.count })
                .first(where: { rest.hasPrefix($0.suffix) })
        else { return nil }
        rest = rest.dropFirst(unit.suffix.count)
        total += number * unit.milliseconds
    }
    return .milliseconds(total)
}

/// Parses sizes written like `"512"`, `"16KiB"`, `"10MiB"`, `"1GiB"` (binary) or
/// `"16KB"`, `"10MB"` (decimal). Bytes are returned.
public func parseByteSize(_ text: String) -> Int? {
    let units: [(suffix: String, factor: Int)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
        ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1), ("", 1),
    ]
    let digits = text.prefix(while: \.isASCIIDigit)
    guard !digits.isEmpty, digits.count <= 12, let number = Int(digits) else { return nil }
    let suffix = text.dropFirst(digits.count)
    guard let unit = units.first(where: { $0.suffix == suffix }) else { return nil }
    let (bytes, overflow) = number.multipliedReportingOverflow(by: unit.factor)
    return overflow ? nil : bytes
}

/// A `host:port` listen address; IPv6 hosts are written in brackets (`[::1]:8080`).
public struct ListenAddress: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(parsing text: String) {
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            guard after.hasPrefix(":") else { return nil }
            port = after.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty, !port.isEmpty, port.allSatisfy(\.isASCIIDigit), port.count <= 5,
            let number = Int(port), (0...65535).contains(number)
        else { return nil }
        self.host = String(host)
        self.port = number
    }

    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// An http or https URL split into the parts an upstream or target needs.
public struct EndpointURL: Equatable, Sendable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int
    /// Path prefix without a trailing slash ("" for the root).
    public var basePath: String

    public init?(parsing text: String) {
        let scheme: String
        if text.hasPrefix("http://") {
            scheme = "http"
        } else if text.hasPrefix("https://") {
            scheme = "https"
        } else {
            return nil
        }
        let rest = text.dropFirst(scheme.count + 3)
        let authority = rest.prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" })
        let path = rest.dropFirst(authority.count)
        guard !authority.isEmpty, !authority.contains("@"), !path.contains("?"), !path.contains("#")
        else { return nil }
        let defaultPort = scheme == "https" ? 443 : 80
        if let address = ListenAddress(parsing: String(authority)) {
            guard address.port > 0 else { return nil }
            host = address.host
            port = address.port
        } else {
            let bare =
                authority.hasPrefix("[") && authority.hasSuffix("]")
                ? String(authority.dropFirst().dropLast()) : String(authority)
            guard !bare.isEmpty, !bare.contains("]"), bare.contains(":") == authority.hasPrefix("[")
            else { return nil }
            host = bare
            port = defaultPort
        }
        self.scheme = scheme
        var base = String(path)
        while base.hasSuffix("/") { base.removeLast() }
        basePath = base
    }

    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(shownHost):\(port)\(basePath)"
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
