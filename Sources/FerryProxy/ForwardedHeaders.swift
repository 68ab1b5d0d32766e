import HTTPTypes

/// Header rules of a reverse proxy (RFC 9110 §7.6.1, RFC 7239): hop-by-hop
/// headers never cross Ferry in either direction, and the upstream learns who the
/// client was from X-Forwarded-* and Forwarded.
enum ForwardedHeaders {
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "proxy-connection",
        "proxy-authenticate", "proxy-authorization",
    ]

    /// `fields` without hop-by-hop headers, including those the Connection header names.
    static func removingHopByHop(_ fields: HTTPFields) -> HTTPFields {
        var named = hopByHop
        for value in fields[values: .connection] {
            for token in value.split(separator: ",") {
                named.insert(token.trimmingCharacters(in: .whitespaces).lowercased())
            }
        }
        var result = HTTPFields()
        for field in fields {
            let name = field.name.canonicalName
            if named.contains(name) || name.hasPrefix("proxy-") { continue }
            result.append(field)
        }
        return result
    }

    /// Adds X-Forwarded-For/-Proto/-Host and Forwarded for one hop.
    static func addingForwarded(_ fields: HTTPFields, clientAddress: String?, scheme: String, host: String?)
        -> HTTPFields
    {
        var result = fields
        if let clientAddress {
            if let existing = result[.xForwardedFor], !existing.isEmpty {
                result[.xForwardedFor] = existing + ", " + clientAddress
            } else {
                result[.xForwardedFor] = clientAddress
            }
        }
        result[.xForwardedProto] = scheme
        if let host { result[.xForwardedHost] = host }
        var element: [String] = []
        if let clientAddress {
            element.append("for=" + (clientAddress.contains(":") ? "\"[\(clientAddress)]\"" : clientAddress))
        }
        element.append("proto=\(scheme)")
        if let host { element.append("host=" + quotedIfNeeded(host)) }
        let forwarded = element.joined(separator: ";")
        if let existing = result[.forwarded], !existing.isEmpty {
            result[.forwarded] = existing + ", " + forwarded
        } else {
            result[.forwarded] = forwarded
        }
        return result
    }

    /// RFC 7239 values other than tokens must be quoted (a host with a port has ':').
    /// Token characters are RFC 9110's tchar, ASCII only (checked on bytes:
    /// Character properties cost a visible share of a proxied request).
    static func quotedIfNeeded(_ value: String) -> String {
        let token = !value.isEmpty && value.utf8.allSatisfy { tokenBytes.contains($0) }
        return token ? value : "\"\(value)\""
    }

    private static let tokenBytes = Set(
        Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~".utf8))
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    static let xForwardedHost = HTTPField.Name("X-Forwarded-Host")!
    static let forwarded = HTTPField.Name("Forwarded")!
}
