import Foundation

/// The modern hash Ferry writes for the new platform, and its parameters.
/// Defaults follow OWASP's password storage recommendations.
public enum RehashAlgorithm: String, CaseIterable, Sendable {
    case argon2id
    case bcrypt
    case pbkdf2SHA256 = "pbkdf2-sha256"
    case scrypt
}

/// How the new platform wants the hash written.
public enum RehashFormat: String, CaseIterable, Sendable {
    /// PHC / modular-crypt strings (`$argon2id$…`, `$2b$…`, passlib `$pbkdf2-sha256$…`, `$scrypt$…`).
    case phc
    /// Django's `<algorithm>$…` strings.
    case django
    /// Keycloak's credential representation: `secretData` and `credentialData` JSON.
    case keycloak
    /// Ory Kratos `hashed_password` import strings.
    case kratos

    /// Whether hashes of `algorithm` can be written in this format.
    public func holds(_ algorithm: RehashAlgorithm) -> Bool { refusal(of: algorithm) == nil }

    /// Why this format's platform cannot keep `algorithm`'s hashes, or nil.
    /// Keycloak has no built-in bcrypt or scrypt provider. Kratos verifies
    /// imported PBKDF2 and scrypt hashes but rewrites, at the first login, any
    /// hash its configured hasher does not produce (its password strategy's
    /// `Hasher.Understands` check; the hasher is argon2 or bcrypt).
    public func refusal(of algorithm: RehashAlgorithm) -> String? {
        switch (self, algorithm) {
        case (.keycloak, .bcrypt), (.keycloak, .scrypt):
            "Keycloak has no built-in \(algorithm.rawValue) provider; choose argon2id or pbkdf2-sha256"
        case (.kratos, .pbkdf2SHA256), (.kratos, .scrypt):
            "Kratos rewrites a \(algorithm.rawValue) hash at the user's first login (only hashes of its own hasher are kept); choose argon2id or bcrypt, whichever its `hashers.algorithm` names"
        default: nil
        }
    }
}

public struct RehashParameters: Equatable, Sendable {
    public var argon2MemoryKiB: Int = 19_456
    public var argon2Iterations: Int = 2
    public var argon2Parallelism: Int = 1
    public var bcryptCost: Int = 12
    public var pbkdf2Iterations: Int = 600_000
    public var scryptLog2N: Int = 17
    public var scryptR: Int = 8
    public var scryptP: Int = 1
    /// Salt length: bytes, or characters where the format keeps its salt as
    /// text (Django); nil means the format's own (`saltLength(for:)`).
    public var saltLength: Int?

    public init() {}

    /// The parameters the platform's own code writes and treats as current,
    /// so that a hash Ferry writes is not rewritten at the user's first login
    /// (a rewrite can also end sessions opened in that burst of logins).
    /// Django 5.2 (`django.contrib.auth.hashers`): Argon2 t=2, m=102400, p=8;
    /// PBKDF2 1 000 000 iterations; scrypt N=2^14, r=8, p=5; bcrypt 12.
    /// Its `must_update` asks for exactly these, and for a salt of at least
    /// 128 bits from 62 characters (22). Keycloak's argon2 provider
    /// (`Argon2Parameters`, `Argon2PasswordHashProvider.policyCheck`): t=5,
    /// m=7168 KiB, p=1, 32-byte hash, 16-byte salt; its policy check wants
    /// exactly these. Other formats: OWASP's current recommendations.
    public static func defaults(for format: RehashFormat) -> RehashParameters {
        var parameters = RehashParameters()
        if format == .keycloak {
            parameters.argon2MemoryKiB = 7168
            parameters.argon2Iterations = 5
            parameters.argon2Parallelism = 1
        }
        if format == .django {
            parameters.argon2MemoryKiB = 102_400
            parameters.argon2Iterations = 2
            parameters.argon2Parallelism = 8
            parameters.pbkdf2Iterations = 1_000_000
            parameters.scryptLog2N = 14
            parameters.scryptR = 8
            parameters.scryptP = 5
        }
        return parameters
    }

    /// Django keeps its salts as text of 22 characters (log2(62) · 22 ≥ 128
    /// bits, what its `must_update_salt` asks for); elsewhere 16 random bytes.
    public func saltLength(for format: RehashFormat) -> Int {
        saltLength ?? (format == .django ? 22 : 16)
    }
}

public enum RehashError: Error, Equatable, Sendable, CustomStringConvertible {
    case unsupportedFormat(algorithm: RehashAlgorithm, format: RehashFormat)
    case invalidParameters(String)
    case passwordNotHashable(String)

    public var description: String {
        switch self {
        case .unsupportedFormat(let algorithm, let format):
            return "\(format.rawValue) format cannot hold \(algorithm.rawValue) hashes"
        case .invalidParameters(let reason): return "invalid parameters: \(reason)"
        case .passwordNotHashable(let reason): return "password cannot be hashed: \(reason)"
        }
    }
}

/// Creates new-platform hashes. Every hash created here verifies through
/// `HashCatalog` (the tests check the round trip).
public struct Rehasher: Sendable {
    public var algorithm: RehashAlgorithm
    public var format: RehashFormat
    public var parameters: RehashParameters

    public init(
        algorithm: RehashAlgorithm = .argon2id, format: RehashFormat = .phc, parameters: RehashParameters = .init()
    ) {
        self.algorithm = algorithm
        self.format = format
        self.parameters = parameters
    }

    public func validate() throws(RehashError) {
        let p = parameters
        switch algorithm {
        case .argon2id:
            guard (8...(4 << 20)).contains(p.argon2MemoryKiB), (1...64).contains(p.argon2Iterations),
                (1...64).contains(p.argon2Parallelism), p.argon2MemoryKiB >= 8 * p.argon2Parallelism
            else { throw .invalidParameters("argon2id needs m 8…4194304 KiB (≥ 8·p), t 1…64, p 1…64") }
        case .bcrypt:
            guard (4...31).contains(p.bcryptCost) else { throw .invalidParameters("bcrypt cost must be 4…31") }
        case .pbkdf2SHA256:
            guard (1...100_000_000).contains(p.pbkdf2Iterations) else {
                throw .invalidParameters("PBKDF2 iterations must be 1…100000000")
            }
        case .scrypt:
            guard (1...30).contains(p.scryptLog2N), (1...64).contains(p.scryptR), (1...64).contains(p.scryptP) else {
                throw .invalidParameters("scrypt needs log2 N 1…30, r 1…64, p 1…64")
            }
        }
        if let length = p.saltLength, !(8...64).contains(length) {
            throw .invalidParameters("salt length must be 8…64")
        }
        guard format.holds(algorithm) else { throw .unsupportedFormat(algorithm: algorithm, format: format) }
    }

    public func hash(_ password: String) throws(RehashError) -> String {
        try validate()
        let bytes = Array(password.utf8)
        let p = parameters
        switch algorithm {
        case .argon2id:
            // Django hands argon2 its salt as text, and judges that text's entropy.
            let salt =
                format == .django
                ? Array(Self.alphanumericSalt(p.saltLength(for: format)).utf8)
                : secureRandomBytes(p.saltLength(for: format))
            let argon2 = Argon2Parameters(
                variant: .argon2id, version: 0x13, memoryKiB: UInt32(p.argon2MemoryKiB),
                iterations: UInt32(p.argon2Iterations), parallelism: UInt32(p.argon2Parallelism))
            guard let tag = argon2.derive(password: bytes, salt: salt, length: 32) else {
                throw .passwordNotHashable("argon2 refused the input")
            }
            let b64 = Base64Alphabet.standard
            let phc =
                "$argon2id$v=19$m=\(p.argon2MemoryKiB),t=\(p.argon2Iterations),p=\(p.argon2Parallelism)$\(b64.encode(salt, padded: false))$\(b64.encode(tag, padded: false))"
            switch format {
            case .phc, .kratos: return phc
            case .django: return "argon2" + phc
            case .keycloak:
                return Self.keycloak(
                    value: tag, salt: salt, algorithm: "argon2", iterations: p.argon2Iterations,
                    additional: [
                        "hashLength": "32", "memory": String(p.argon2MemoryKiB),
                        "parallelism": String(p.argon2Parallelism),
                        "type": "id", "version": "1.3",
                    ])
            }
        case .bcrypt:
            guard !bytes.contains(0) else { throw .passwordNotHashable("bcrypt cannot hash a NUL byte") }
            guard bytes.count <= 72 else {
                // bcrypt silently ignores bytes after 72; a new hash must not weaken a long password.
                throw .passwordNotHashable("bcrypt uses only the first 72 bytes; choose argon2id for longer passwords")
            }
            guard let setting = SystemCrypt.generateSetting(prefix: "$2b$", count: p.bcryptCost),
                let output = SystemCrypt.crypt(bytes, setting: setting)
            else { throw .passwordNotHashable("libxcrypt refused the bcrypt setting") }
            let hash = String(decoding: output, as: UTF8.self)
            switch format {
            case .phc, .kratos: return hash
            case .django: return "bcrypt$" + hash
            case .keycloak: throw .unsupportedFormat(algorithm: algorithm, format: format)
            }
        case .pbkdf2SHA256:
            let iterations = p.pbkdf2Iterations
            func derive(_ salt: [UInt8], length: Int = 32) -> [UInt8] {
                DigestAlgorithm.sha256.pbkdf2(password: bytes, salt: salt, iterations: iterations, keyLength: length)
            }
            let salt = secureRandomBytes(p.saltLength(for: format))
            switch format {
            case .django:
                // Django keeps its salt as text.
                let text = Self.alphanumericSalt(p.saltLength(for: format))
                return "pbkdf2_sha256$\(iterations)$\(text)$\(Base64Alphabet.standard.encode(derive(Array(text.utf8))))"
            case .phc:
                let ab64 = Base64Alphabet.passlib
                return
                    "$pbkdf2-sha256$\(iterations)$\(ab64.encode(salt, padded: false))$\(ab64.encode(derive(salt), padded: false))"
            case .kratos: throw .unsupportedFormat(algorithm: algorithm, format: format)
            case .keycloak:
                return Self.keycloak(
                    value: derive(salt, length: 64), salt: salt, algorithm: "pbkdf2-sha256", iterations: iterations,
                    additional: [:])
            }
        case .scrypt:
            let n = 1 << p.scryptLog2N
            switch format {
            case .django:
                let salt = Self.alphanumericSalt(p.saltLength(for: format))
                guard
                    let key = scryptDerive(
                        password: bytes, salt: Array(salt.utf8), n: UInt64(n), r: UInt64(p.scryptR),
                        p: UInt64(p.scryptP), keyLength: 64)
                else { throw .passwordNotHashable("scrypt refused the parameters") }
                return "scrypt$\(n)$\(salt)$\(p.scryptR)$\(p.scryptP)$\(Base64Alphabet.standard.encode(key))"
            case .phc:
                let salt = secureRandomBytes(p.saltLength(for: format))
                guard
                    let key = scryptDerive(
                        password: bytes, salt: salt, n: UInt64(n), r: UInt64(p.scryptR), p: UInt64(p.scryptP),
                        keyLength: 32)
                else { throw .passwordNotHashable("scrypt refused the parameters") }
                let b64 = Base64Alphabet.standard
                return
                    "$scrypt$ln=\(p.scryptLog2N),r=\(p.scryptR),p=\(p.scryptP)$\(b64.encode(salt, padded: false))$\(b64.encode(key, padded: false))"
            case .keycloak, .kratos: throw .unsupportedFormat(algorithm: algorithm, format: format)
            }
        }
    }

    /// Keycloak's credential representation for password import.
    static func keycloak(
        value: [UInt8], salt: [UInt8], algorithm: String, iterations: Int, additional: [String: String]
    )
        -> String
    {
        let b64 = Base64Alphabet.standard
        let secretData: [String: Any] = [
            "value": b64.encode(value), "salt": b64.encode(salt), "additionalParameters": [:],
        ]
        let credentialData: [String: Any] = [
            "hashIterations": iterations, "algorithm": algorithm,
            "additionalParameters": additional.mapValues { [$0] },
        ]
        func json(_ object: Any) -> String {
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
        return json(["type": "password", "secretData": json(secretData), "credentialData": json(credentialData)])
    }

    static func alphanumericSalt(_ length: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        var out: [UInt8] = []
        while out.count < length {
            for byte in secureRandomBytes(length * 2) where byte < 248 && out.count < length {
                out.append(alphabet[Int(byte) % 62])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
