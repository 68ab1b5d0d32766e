/// A family of password hash formats (bcrypt and its wrappers, PBKDF2 in its many
/// spellings, …). Adding a format means one conforming type and one table of
/// known-correct vectors in the tests.
public protocol HashScheme: Sendable {
    /// Reads `hash` if it belongs to this family: nil when it does not, a parsed
    /// hash when it does, and an error when it does but is malformed or its cost
    /// parameters exceed `limits`. Parsing never does the expensive work.
    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)?
}

/// A hash whose format and parameters are known, ready to check a password.
public protocol ParsedHash: Sendable {
    /// Stable scheme id such as `bcrypt`, `django-pbkdf2-sha256`, `ldap-ssha`.
    var scheme: String { get }
    /// Non-secret parameters (cost, iterations, digest, salt length) for
    /// `ferry hash identify`. Never the salt or the digest themselves.
    var parameters: [(name: String, value: String)] { get }
    /// Derives the key for `password` and compares it in constant time.
    func verify(_ password: [UInt8]) -> Bool
}

/// Why a hash could not be checked. Messages name the scheme and the problem,
/// never the hash text or the password.
public enum HashError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No known scheme describes the string.
    case unsupported(String)
    /// A known scheme, but the string breaks its format.
    case malformed(scheme: String, reason: String)
    /// A known scheme whose cost parameters exceed the configured ceilings.
    case overLimit(scheme: String, reason: String)

    public var scheme: String? {
        switch self {
        case .unsupported: return nil
        case .malformed(let scheme, _), .overLimit(let scheme, _): return scheme
        }
    }

    /// Short machine-readable reason, as `ferry hash verify` prints it.
    public var code: String {
        switch self {
        case .unsupported: return "unsupported"
        case .malformed: return "malformed"
        case .overLimit: return "over_limit"
        }
    }

    public var description: String {
        switch self {
        case .unsupported(let reason): return "unsupported hash format: \(reason)"
        case .malformed(let scheme, let reason): return "malformed \(scheme) hash: \(reason)"
        case .overLimit(let scheme, let reason): return "\(scheme) parameters over limit: \(reason)"
        }
    }
}

/// Ceilings on cost parameters. A hash asking for more is refused before any work
/// is done: a bcrypt cost of 31 is a denial of service, not a hash.
public struct CostLimits: Equatable, Sendable {
    public var maxBcryptCost: Int
    /// PBKDF2 iterations, sha-crypt rounds, iterated digests.
    public var maxIterations: Int
    /// log2 of the phpass / Drupal iteration count.
    public var maxPHPassLog2: Int
    /// Memory scrypt and yescrypt may use: 128 · N · r bytes.
    public var maxScryptMemory: Int
    public var maxScryptParallelism: Int
    public var maxArgon2MemoryKiB: Int
    public var maxArgon2Iterations: Int
    public var maxArgon2Parallelism: Int

    public init(
        maxBcryptCost: Int = 15, maxIterations: Int = 5_000_000, maxPHPassLog2: Int = 20,
        maxScryptMemory: Int = 256 << 20, maxScryptParallelism: Int = 16, maxArgon2MemoryKiB: Int = 256 << 10,
        maxArgon2Iterations: Int = 32, maxArgon2Parallelism: Int = 16
    ) {
        self.maxBcryptCost = maxBcryptCost
        self.maxIterations = maxIterations
        self.maxPHPassLog2 = maxPHPassLog2
        self.maxScryptMemory = maxScryptMemory
        self.maxScryptParallelism = maxScryptParallelism
        self.maxArgon2MemoryKiB = maxArgon2MemoryKiB
        self.maxArgon2Iterations = maxArgon2Iterations
        self.maxArgon2Parallelism = maxArgon2Parallelism
    }

    func checkIterations(_ count: Int, scheme: String, name: String = "iterations") throws(HashError) {
        guard count >= 1 else { throw .malformed(scheme: scheme, reason: "\(name) must be at least 1") }
        guard count <= maxIterations else {
            throw .overLimit(scheme: scheme, reason: "\(name) \(count) exceeds the limit of \(maxIterations)")
        }
    }
}

/// A ParsedHash built from a closure, for families whose variants differ only in
/// how the key is derived.
struct DerivedKeyHash: ParsedHash {
    let scheme: String
    let parameters: [(name: String, value: String)]
    let expected: [UInt8]
    let derive: @Sendable ([UInt8]) -> [UInt8]

    func verify(_ password: [UInt8]) -> Bool {
        constantTimeEquals(derive(password), expected)
    }
}
