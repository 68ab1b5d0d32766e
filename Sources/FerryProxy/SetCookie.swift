import Foundation

/// One `Set-Cookie` header as far as session bookkeeping needs it: name, value
/// and when it ends (`Max-Age` wins over `Expires`, as RFC 6265 says).
struct SetCookie: Equatable {
    var name: String
    var value: String
    /// nil: a browser-session cookie with no stated end.
    var expiresAt: Date?

    static func parse(_ header: String, now: Date) -> SetCookie? {
        let parts = header.split(separator: ";", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { return nil }
        let name = String(pair[..<equals])
        guard !name.isEmpty else { return nil }
        var value = String(pair[pair.index(after: equals)...])
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            value = String(value.dropFirst().dropLast())
        }
        var maxAge: Int?
        var expires: Date?
        for attribute in parts.dropFirst() {
            let pieces = attribute.split(separator: "=", maxSplits: 1).map(String.init)
            guard pieces.count == 2 else { continue }
            switch pieces[0].lowercased() {
            case "max-age": maxAge = Int(pieces[1])
            case "expires": expires = httpDate(pieces[1])
            default: break
            }
        }
        let end = maxAge.map { now.addingTimeInterval(TimeInterval(max($0, 0))) } ?? expires
        return SetCookie(name: name, value: value, expiresAt: end)
    }

    /// RFC 7231 IMF-fixdate, and the RFC 850 form old servers still send.
    static func httpDate(_ text: String) -> Date? {
        for format in [
            "EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE, dd-MMM-yyyy HH:mm:ss zzz",
        ] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
