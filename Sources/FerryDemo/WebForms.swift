import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PasswordHashes

/// Small pieces both sample platforms share: reading forms and JSON bodies,
/// cookies, and HTML pages with escaped text.
enum WebForms {
    /// Fields of an `application/x-www-form-urlencoded` body.
    static func formFields(_ body: ByteBuffer) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let key = parts.first { fields[key] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    /// Form or JSON fields of a request body, by Content-Type.
    static func fields(of request: Request, body: ByteBuffer) -> [String: String] {
        if request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true {
            guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
                return [:]
            }
            return object.compactMapValues { $0 as? String }
        }
        return formFields(body)
    }

    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return String(parts[1]).trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func page(
        _ status: HTTPResponse.Status, title: String, body: String, cookies: [String] = [],
        location: String? = nil
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        if let location { headers[.location] = location }
        let html =
            "<!doctype html><html><head><title>\(escape(title))</title></head><body><h1>\(escape(title))</h1>\(body)</body></html>\n"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func json(_ status: HTTPResponse.Status, _ object: Any, contentType: String = "application/json") -> Response
    {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A random session or token id (256 bits, URL-safe).
    static func randomToken() -> String {
        Base32.encode(secureRandomBytes(32)).lowercased()
    }

    /// Compares a presented client secret without leaking where it differs.
    static func constantTimeEqual(_ expected: String, _ presented: String) -> Bool {
        constantTimeEquals(
            DigestAlgorithm.sha256.digest(Array(expected.utf8)), DigestAlgorithm.sha256.digest(Array(presented.utf8)))
    }

    /// Sessions are stored by hash, so a database leak does not leak sessions.
    static func tokenHash(_ token: String) -> String {
        DigestAlgorithm.sha256.digest(Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
