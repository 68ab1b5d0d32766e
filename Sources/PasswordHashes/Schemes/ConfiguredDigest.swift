import Foundation

/// A salted digest described by configuration rather than by the hash string:
/// which digest, where the salt goes, how salt, hash and password are encoded, an
/// optional HMAC key (pepper) and an iteration count.
public struct ConfiguredDigestFormat: Equatable, Sendable {
    public enum SaltPlacement: Equatable, Sendable {
        case prefix
        case suffix
        /// Text with `{SALT}` and `{PASSWORD}` placeholders, e.g. `{SALT}--{PASSWORD}`.
        case template(String)
    }

    public enum BinaryEncoding: String, CaseIterable, Sendable {
        case hex, base64, utf8
    }

    public enum PasswordEncoding: String, CaseIterable, Sendable {
        case utf8, latin1, utf16le
    }

    public var digest: DigestAlgorithm
    public var salt: SaltPlacement
    public var saltEncoding: BinaryEncoding
    public var hashEncoding: BinaryEncoding
    public var passwordEncoding: PasswordEncoding
    public var pepper: [UInt8]?
    public var iterations: Int

    public init(
        digest: DigestAlgorithm, salt: SaltPlacement = .prefix, saltEncoding: BinaryEncoding = .utf8,
        hashEncoding: BinaryEncoding = .hex, passwordEncoding: PasswordEncoding = .utf8, pepper: [UInt8]? = nil,
        iterations: Int = 1
    ) {
        self.digest = digest
        self.salt = salt
        self.saltEncoding = saltEncoding
        self.hashEncoding = hashEncoding
        self.passwordEncoding = passwordEncoding
        self.pepper = pepper
        self.iterations = iterations
    }

    static func decode(_ text: String, _ encoding: BinaryEncoding) -> [UInt8]? {
        switch encoding {
        case .hex: return Hex.decode(text)
        case .base64: return Base64Alphabet.standard.decode(text)
        case .utf8: return Array(text.utf8)
        }
    }

    /// The bytes of `password` in the configured encoding; nil when it cannot be
    /// represented (a character outside Latin-1).
    func encode(password: String) -> [UInt8]? {
        switch passwordEncoding {
        case .utf8: return Array(password.utf8)
        case .utf16le: return password.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }
        case .latin1:
            var bytes: [UInt8] = []
            for scalar in password.unicodeScalars {
                guard scalar.value <= 0xff else { return nil }
                bytes.append(UInt8(scalar.value))
            }
            return bytes
        }
    }

    /// Parses a stored hash and its separately stored salt under this format.
    func parse(hash: String, salt saltText: String) throws(HashError) -> any ParsedHash {
        let scheme = "configured-\(digest.rawValue)"
        guard let expected = Self.decode(hash, hashEncoding), expected.count == digest.byteCount else {
            throw .malformed(
                scheme: scheme, reason: "expected a \(digest.byteCount)-byte digest in \(hashEncoding.rawValue)")
        }
        guard let salt = Self.decode(saltText, saltEncoding) else {
            throw .malformed(scheme: scheme, reason: "salt is not valid \(saltEncoding.rawValue)")
        }
        let format = self
        return DerivedKeyHash(
            scheme: scheme,
            parameters: [
                ("digest", digest.rawValue), ("iterations", String(iterations)), ("peppered", String(pepper != nil)),
            ],
            expected: expected,
            derive: { utf8 in
                // verify() hands over UTF-8; re-encode as the legacy system did.
                guard let password = format.encode(password: String(decoding: utf8, as: UTF8.self)) else { return [] }
                return format.derive(passwordBytes: password, salt: salt)
            })
    }

    func derive(passwordBytes password: [UInt8], salt: [UInt8]) -> [UInt8] {
        let input: [UInt8]
        switch self.salt {
        case .prefix: input = salt + password
        case .suffix: input = password + salt
        case .template(let template):
            var bytes: [UInt8] = []
            var rest = Substring(template)
            while !rest.isEmpty {
                if rest.hasPrefix("{SALT}") {
                    bytes += salt
                    rest = rest.dropFirst("{SALT}".count)
                } else if rest.hasPrefix("{PASSWORD}") {
                    bytes += password
                    rest = rest.dropFirst("{PASSWORD}".count)
                } else {
                    bytes += Array(String(rest.first!).utf8)
                    rest = rest.dropFirst()
                }
            }
            input = bytes
        }
        var value = pepper.map { digest.hmac(key: $0, input) } ?? digest.digest(input)
        if iterations > 1 {
            for _ in 1..<iterations { value = digest.digest(value) }
        }
        return value
    }
}
