import FerryConfig
import FerryMigration
import Foundation

/// The identifier and password of a login request, read from its body. The
/// password is held only for the verification; it is never logged.
struct LoginCredentials: Equatable, Sendable {
    var identifier: String
    var password: String
}

/// Why a login body cannot be read; the message goes to the client as a 400
/// and names the field, never a value.
struct LoginBodyError: Error, Equatable, CustomStringConvertible {
    var description: String
    /// The body is well formed but lacks the identifier or the password: on a
    /// login route that is a later step of a multi-step flow (an MFA code).
    var isMissingField = false
    init(_ description: String, missingField: Bool = false) {
        self.description = description
        isMissingField = missingField
    }
}

/// Reading and reshaping login bodies: form (`application/x-www-form-urlencoded`)
/// or JSON, with field names or JSON pointers (RFC 6901) from the route.
enum LoginBody {
    enum Format: Equatable {
        case form, json
    }

    /// The body format: the route's, or with `auto` the request's Content-Type.
    static func format(_ setting: LoginSettings.BodyFormat, contentType: String?) -> Result<Format, LoginBodyError> {
        switch setting {
        case .form: return .success(.form)
        case .json: return .success(.json)
        case .auto:
            let media = (contentType ?? "").split(separator: ";").first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            switch media {
            case "application/x-www-form-urlencoded": return .success(.form)
            case let type? where type == "application/json" || type.hasSuffix("+json"): return .success(.json)
            default:
                return .failure(
                    LoginBodyError(
                        "login body must be application/x-www-form-urlencoded or application/json, found \(media.map { "\"\($0)\"" } ?? "no Content-Type")"
                    ))
            }
        }
    }

    static func credentials(_ body: [UInt8], format: Format, settings: LoginSettings) -> Result<
        LoginCredentials, LoginBodyError
    > {
        let found: Result<LoginCredentials, LoginBodyError>
        switch format {
        case .form:
            guard let fields = formFields(body) else {
                return .failure(LoginBodyError("login body is not valid form encoding (bad %-escape or not UTF-8)"))
            }
            // A field sent twice is read as the first by some servers and the
            // last by others: Ferry and legacy would judge different users.
            for name in [settings.identifierField, settings.passwordField]
            where fields.count(where: { $0.0 == name }) > 1 {
                return .failure(LoginBodyError("login form repeats the `\(name)` field"))
            }
            guard let identifier = fields.first(where: { $0.0 == settings.identifierField })?.1 else {
                return .failure(
                    LoginBodyError("login form has no `\(settings.identifierField)` field", missingField: true))
            }
            guard let password = fields.first(where: { $0.0 == settings.passwordField })?.1 else {
                return .failure(
                    LoginBodyError("login form has no `\(settings.passwordField)` field", missingField: true))
            }
            found = .success(LoginCredentials(identifier: identifier, password: password))
        case .json:
            found = jsonCredentials(body, settings: settings)
        }
        return found.flatMap(checked)
    }

    /// Refuses what a downstream store would cut or read differently: a control
    /// character in the identifier (SQLite's C API stops at NUL, so `user%00x`
    /// would be counted by the guard as one user and looked up as another), a
    /// NUL in the password (C hash functions stop at it).
    static func checked(_ credentials: LoginCredentials) -> Result<LoginCredentials, LoginBodyError> {
        if let error = identifierProblem(credentials.identifier) { return .failure(error) }
        if credentials.password.utf8.contains(0) {
            return .failure(LoginBodyError("login password contains a NUL character"))
        }
        return .success(credentials)
    }

    static func identifierProblem(_ identifier: String) -> LoginBodyError? {
        guard identifier.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return nil
        }
        return LoginBodyError("login identifier contains a control character")
    }

    private static func jsonCredentials(_ body: [UInt8], settings: LoginSettings) -> Result<
        LoginCredentials, LoginBodyError
    > {
        guard let document = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        else { return .failure(LoginBodyError("login body is not valid JSON")) }
        let fields = [settings.identifierField, settings.passwordField]
        if let key = JSONDuplicateKeys.first(in: body) {
            return .failure(LoginBodyError("login JSON repeats \(describeKey(key, among: fields))"))
        }
        var values: [String] = []
        for field in fields {
            let pointer = field.hasPrefix("/") ? field : "/" + field
            guard let value = JSONPointer.resolve(pointer, in: document) else {
                return .failure(LoginBodyError("login JSON has nothing at `\(pointer)`", missingField: true))
            }
            guard let text = value as? String else {
                return .failure(LoginBodyError("login JSON value at `\(pointer)` must be a string"))
            }
            values.append(text)
        }
        return .success(LoginCredentials(identifier: values[0], password: values[1]))
    }

    /// A repeated JSON key, named only when it is a configured field: any other
    /// key is the client's text, and stays out of the answer.
    private static func describeKey(_ key: String, among fields: [String]) -> String {
        let named = fields.contains { field in
            field == key || field.split(separator: "/").last.map(String.init) == key
        }
        return named ? "the key `\(key)`" : "a key"
    }

    /// The values of `fields` (form names or JSON pointers) that the body
    /// holds, in order; an error names the fields when it holds none.
    static func values(_ body: [UInt8], format: Format, fields: [String]) -> Result<[String], LoginBodyError> {
        var values: [String] = []
        switch format {
        case .form:
            guard let pairs = formFields(body) else {
                return .failure(LoginBodyError("body is not valid form encoding (bad %-escape or not UTF-8)"))
            }
            for field in fields {
                guard pairs.count(where: { $0.0 == field }) <= 1 else {
                    return .failure(LoginBodyError("body repeats the `\(field)` field"))
                }
                if let value = pairs.first(where: { $0.0 == field })?.1, !value.isEmpty { values.append(value) }
            }
        case .json:
            guard let document = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
            else { return .failure(LoginBodyError("body is not valid JSON")) }
            if let key = JSONDuplicateKeys.first(in: body) {
                return .failure(LoginBodyError("body repeats \(describeKey(key, among: fields))"))
            }
            for field in fields {
                if let value = JSONPointer.resolve(field.hasPrefix("/") ? field : "/" + field, in: document) as? String,
                    !value.isEmpty
                {
                    values.append(value)
                }
            }
        }
        guard !values.isEmpty else {
            return .failure(
                LoginBodyError("body has none of the fields \(fields.map { "`\($0)`" }.joined(separator: ", "))"))
        }
        if let problem = values.lazy.compactMap(identifierProblem).first { return .failure(problem) }
        return .success(values)
    }

    /// The credential field a query string names, if any. Ferry reads the
    /// body; some servers read the query first (a servlet's getParameter), so
    /// `?username=mallory` beside `username=ada` in the body would have legacy
    /// judge Mallory's password while Ferry counts — or migrates — Ada.
    static func credentialInQuery(_ query: String?, settings: LoginSettings) -> String? {
        guard let query, !query.isEmpty else { return nil }
        let names = [settings.identifierField, settings.passwordField].map { field in
            field.hasPrefix("/") ? String(field.split(separator: "/").last ?? "") : field
        }
        for pair in query.split(separator: "&") {
            let raw = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let name = decodeFormComponent(raw) ?? String(raw)
            if let found = names.first(where: { $0 == name }) { return found }
        }
        return nil
    }

    /// `a=1&b=2` into ordered pairs; nil on a bad escape or invalid UTF-8.
    static func formFields(_ body: [UInt8]) -> [(String, String)]? {
        guard let text = String(bytes: body, encoding: .utf8) else { return nil }
        var fields: [(String, String)] = []
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decodeFormComponent(parts[0]),
                let value = decodeFormComponent(parts.count > 1 ? parts[1] : "")
            else { return nil }
            fields.append((name, value))
        }
        return fields
    }

    static func decodeFormComponent(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    static func encodeFormComponent(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._*")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// The login as the new platform wants it (`LoginShape`): its format, field
    /// names and static fields. Returns the body and its Content-Type.
    static func reshape(_ credentials: LoginCredentials, to shape: LoginShape) -> (body: [UInt8], contentType: String) {
        switch shape.bodyFormat {
        case .form:
            var fields = [(shape.identifierField, credentials.identifier), (shape.passwordField, credentials.password)]
            fields += shape.staticFields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            let text = fields.map { "\(encodeFormComponent($0.0))=\(encodeFormComponent($0.1))" }.joined(separator: "&")
            return (Array(text.utf8), "application/x-www-form-urlencoded")
        case .json:
            var document: Any = [String: Any]()
            let entries =
                [(shape.identifierField, credentials.identifier), (shape.passwordField, credentials.password)]
                + shape.staticFields.sorted { $0.key < $1.key }.map {
                    ($0.key.hasPrefix("/") ? $0.key : "/" + $0.key, $0.value)
                }
            for (pointer, value) in entries { document = assign(value, at: pointer, in: document) }
            let data =
                (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data("{}".utf8)
            return (Array(data), "application/json")
        }
    }

    /// The body with the identifier field's value replaced and everything else
    /// kept (form fields in order; JSON re-serialized). nil when the body cannot
    /// be read back (it was read once to get here, so that is a bug).
    static func replacingIdentifier(_ body: [UInt8], format: Format, field: String, with value: String) -> [UInt8]? {
        switch format {
        case .form:
            guard let fields = formFields(body) else { return nil }
            let text = fields.map { name, old in
                "\(encodeFormComponent(name))=\(encodeFormComponent(name == field ? value : old))"
            }.joined(separator: "&")
            return Array(text.utf8)
        case .json:
            guard let document = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
            else { return nil }
            let pointer = field.hasPrefix("/") ? field : "/" + field
            let replaced = assign(value, at: pointer, in: document)
            return (try? JSONSerialization.data(withJSONObject: replaced, options: [.sortedKeys])).map(Array.init)
        }
    }

    /// Sets `value` at a pointer into nested objects, creating them as needed.
    static func assign(_ value: String, at pointer: String, in document: Any) -> Any {
        let tokens = pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
        func set(_ node: Any?, _ path: ArraySlice<String>) -> Any {
            guard let key = path.first else { return value }
            var object = node as? [String: Any] ?? [:]
            object[key] = set(object[key], path.dropFirst())
            return object
        }
        return set(document, tokens[...])
    }
}
