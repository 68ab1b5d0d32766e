import CLDAP
import Foundation

/// One entry of a search result: its DN and every attribute read, values as
/// bytes (LDAP values need not be text).
public struct LDAPEntry: Sendable {
    public var dn: String
    /// Attribute names as the server spelled them; look them up with `values`.
    public var attributes: [String: [[UInt8]]]

    /// Values of `name`, matched case-insensitively as LDAP attribute names are.
    public func values(_ name: String) -> [[UInt8]] {
        if let exact = attributes[name] { return exact }
        return attributes.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value ?? []
    }

    public func text(_ name: String) -> String? {
        values(name).first.flatMap { String(validating: $0, as: UTF8.self) }
    }
}

/// Why an LDAP operation failed: the result code and OpenLDAP's text for it.
/// Never the password or the filter's identifier.
public struct LDAPError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: Int32
    public var message: String

    /// 49: the password (or the DN) is wrong; also what a locked account answers.
    public static let invalidCredentials: Int32 = 49
    /// -1 and 81: the server cannot be reached; -5 and 85: it did not answer in time.
    public var isUnavailable: Bool { [-1, -5, -11, 51, 52, 81, 85].contains(code) }

    public var description: String { "LDAP error \(code): \(message)" }
}

/// A connection to a directory through OpenLDAP's libldap. Every call blocks:
/// use it from the source's own queue, never from an event loop. Not safe for
/// concurrent use; each connection is used by one caller at a time.
final class LDAPConnection {
    struct Options: Sendable {
        var url: String
        var startTLS = false
        var caFile: String?
        var timeout: Duration = .seconds(5)
    }

    private var handle: OpaquePointer?

    init(_ options: Options) throws(LDAPError) {
        var ld: OpaquePointer?
        let status = ldap_initialize(&ld, options.url)
        guard status == LDAP_SUCCESS, let ld else { throw Self.error(status, nil) }
        handle = ld
        let seconds = Int(options.timeout.components.seconds)
        let micro = Int(options.timeout.components.attoseconds / 1_000_000_000_000)
        _ = ferry_ldap_set_int(ld, LDAP_OPT_PROTOCOL_VERSION, LDAP_VERSION3)
        _ = ferry_ldap_set_timeout(ld, LDAP_OPT_NETWORK_TIMEOUT, seconds, micro)
        _ = ferry_ldap_set_timeout(ld, LDAP_OPT_TIMEOUT, seconds, micro)
        // Referrals would send the service credentials to another server.
        _ = ldap_set_option(ld, LDAP_OPT_REFERRALS, nil)
        _ = ferry_ldap_set_int(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, LDAP_OPT_X_TLS_DEMAND)
        if let caFile = options.caFile {
            _ = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, caFile)
        }
        // A new TLS context per connection, so the CA file above applies to it.
        _ = ferry_ldap_set_int(ld, LDAP_OPT_X_TLS_NEWCTX, 0)
        if options.startTLS {
            let status = ldap_start_tls_s(ld, nil, nil)
            guard status == LDAP_SUCCESS else {
                // libldap says only "Connect error" when the handshake fails.
                if status == LDAP_CONNECT_ERROR {
                    throw LDAPError(
                        code: status,
                        message:
                            "StartTLS failed: the directory's certificate is not signed by a CA in ca_file, or does not name the host in url"
                    )
                }
                throw Self.error(status, ld)
            }
        }
    }

    deinit {
        if let handle { ldap_unbind_ext_s(handle, nil, nil) }
    }

    /// A simple bind. An empty password is refused here: to a directory it is
    /// an unauthenticated bind that "succeeds" for any DN (RFC 4513 §5.1.2).
    func bind(dn: String, password: String) throws(LDAPError) {
        guard !password.isEmpty, !password.utf8.contains(0) else {
            throw LDAPError(code: LDAPError.invalidCredentials, message: "empty password or a NUL byte")
        }
        let status = password.withCString { ferry_ldap_simple_bind(handle, dn, $0, password.utf8.count) }
        guard status == LDAP_SUCCESS else { throw Self.error(status, handle) }
    }

    /// Entries under `base` matching `filter`, at most `limit` (0: no limit);
    /// more than `limit` is not an error here — the caller asked for
    /// `limit` to tell one from many.
    func search(base: String, filter: String, attributes: [String], limit: Int32 = 0) throws(LDAPError)
        -> [LDAPEntry]
    {
        var result: OpaquePointer?
        let status = withAttributeList(attributes) { list in
            ldap_search_ext_s(handle, base, LDAP_SCOPE_SUBTREE, filter, list, 0, nil, nil, nil, limit, &result)
        }
        defer { if let result { ldap_msgfree(result) } }
        guard status == LDAP_SUCCESS || status == LDAP_SIZELIMIT_EXCEEDED else { throw Self.error(status, handle) }
        return entries(of: result)
    }

    /// Every entry matching `filter`, a page at a time (RFC 2696), handed to
    /// `body` as each page arrives: a directory of millions is never held at once.
    func pagedSearch(
        base: String, filter: String, attributes: [String], pageSize: Int32, _ body: ([LDAPEntry]) throws -> Void
    ) throws {
        var cookie = berval(bv_len: 0, bv_val: nil)
        var cookieOwned: UnsafeMutablePointer<CChar>?
        defer { if let cookieOwned { ber_memfree(cookieOwned) } }
        repeat {
            var control: UnsafeMutablePointer<LDAPControl>?
            var status = ldap_create_page_control(handle, ber_int_t(pageSize), &cookie, 1, &control)
            guard status == LDAP_SUCCESS, let control else { throw Self.error(status, handle) }
            defer { ldap_control_free(control) }
            var controls: [UnsafeMutablePointer<LDAPControl>?] = [control, nil]
            var result: OpaquePointer?
            status = withAttributeList(attributes) { list in
                controls.withUnsafeMutableBufferPointer { serverControls in
                    ldap_search_ext_s(
                        handle, base, LDAP_SCOPE_SUBTREE, filter, list, 0, serverControls.baseAddress, nil, nil, 0,
                        &result)
                }
            }
            defer { if let result { ldap_msgfree(result) } }
            guard status == LDAP_SUCCESS else { throw Self.error(status, handle) }
            try body(entries(of: result))
            var returned: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?
            var code: Int32 = 0
            status = ldap_parse_result(handle, result, &code, nil, nil, nil, &returned, 0)
            defer { if let returned { ldap_controls_free(returned) } }
            guard status == LDAP_SUCCESS, code == LDAP_SUCCESS else { throw Self.error(code, handle) }
            let response = ldap_control_find(ferry_ldap_paged_results_oid(), returned, nil)
            if let previous = cookieOwned { ber_memfree(previous) }
            cookieOwned = nil
            cookie = berval(bv_len: 0, bv_val: nil)
            guard let response else { break }
            var count: ber_int_t = 0
            status = ldap_parse_pageresponse_control(handle, response, &count, &cookie)
            guard status == LDAP_SUCCESS else { throw Self.error(status, handle) }
            cookieOwned = cookie.bv_val
        } while cookie.bv_len > 0
    }

    private func entries(of result: OpaquePointer?) -> [LDAPEntry] {
        var entries: [LDAPEntry] = []
        var entry = ldap_first_entry(handle, result)
        while let current = entry {
            var dn = ""
            if let raw = ldap_get_dn(handle, current) {
                dn = String(cString: raw)
                ldap_memfree(raw)
            }
            var attributes: [String: [[UInt8]]] = [:]
            var ber: OpaquePointer?
            var name = ldap_first_attribute(handle, current, &ber)
            while let attribute = name {
                let key = String(cString: attribute)
                var values: [[UInt8]] = []
                if let list = ldap_get_values_len(handle, current, attribute) {
                    var index = 0
                    while let value = list[index] {
                        let length = Int(value.pointee.bv_len)
                        values.append(
                            length == 0
                                ? []
                                : Array(UnsafeRawBufferPointer(start: value.pointee.bv_val, count: length)))
                        index += 1
                    }
                    ldap_value_free_len(list)
                }
                attributes[key] = values
                ldap_memfree(attribute)
                name = ldap_next_attribute(handle, current, ber)
            }
            if let ber { ber_free(ber, 0) }
            entries.append(LDAPEntry(dn: dn, attributes: attributes))
            entry = ldap_next_entry(handle, current)
        }
        return entries
    }

    private func withAttributeList<T>(
        _ attributes: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> T
    ) -> T {
        var pointers: [UnsafeMutablePointer<CChar>?] = attributes.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress) }
    }

    private static func error(_ status: Int32, _ handle: OpaquePointer?) -> LDAPError {
        var text = String(cString: ldap_err2string(status))
        // The server's diagnostic (say, why StartTLS failed) where there is one.
        var diagnostic: UnsafeMutablePointer<CChar>?
        if let handle, ldap_get_option(handle, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diagnostic) == LDAP_SUCCESS,
            let diagnostic
        {
            let detail = String(cString: diagnostic)
            ldap_memfree(diagnostic)
            if !detail.isEmpty { text += " (\(detail))" }
        }
        return LDAPError(code: status, message: text)
    }
}
