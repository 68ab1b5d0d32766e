/// A legacy application's password formula, written as it was in its code:
/// `md5(md5(PASSWORD) + SALT)`, `sha1(SALT + sha1(SALT + sha1(PASSWORD)))`,
/// `bcrypt(PASSWORD + PEPPER)`, `base64(argon2id(PASSWORD, unbase64(SALT),
/// m=65536, t=3, p=1, length=32))`.
///
/// Values are byte strings. Digest functions answer lowercase hex text, as
/// PHP's `md5()` and Python's `hexdigest()` do, because that is what nested
/// formulas concatenate; their `_raw` forms answer the bytes. The whole
/// expression's value is compared with the stored hash; `bcrypt(x)` and
/// `stored(x)` instead verify the stored hash (bcrypt, or any format Ferry
/// reads) against `x`, which is how peppers and pre-hashes reach modern schemes.
public struct HashExpression: Equatable, Sendable, CustomStringConvertible {
    /// The formula's inputs, named in capitals so they never look like functions.
    public enum Input: String, CaseIterable, Sendable {
        /// The password the customer typed, UTF-8.
        case password = "PASSWORD"
        /// The salt column's text, as stored (decode it with `unhex`/`unbase64`).
        case salt = "SALT"
        /// The account's username as legacy stores it (PostgreSQL's md5 uses it).
        case username = "USERNAME"
        /// `[legacy.hash] pepper`: the application-wide secret.
        case pepper = "PEPPER"
    }

    indirect enum Node: Equatable, Sendable {
        case literal([UInt8])
        case input(Input)
        case concatenation([Node])
        case call(HashFunction, arguments: [Node], options: [String: Int])
    }

    let root: Node
    /// The text it was parsed from, for config summaries and diffs.
    public let source: String

    public var description: String { source }

    /// The inputs the formula reads; a formula without `PASSWORD` is refused.
    public var inputs: Set<Input> { Self.inputs(of: root) }

    /// True when the whole formula verifies the stored hash (`bcrypt`, `stored`)
    /// rather than computing a value to compare with it.
    var verifier: (function: HashFunction, argument: Node)? {
        if case .call(let function, let arguments, _) = root, function.isVerifier { return (function, arguments[0]) }
        return nil
    }

    private static func inputs(of node: Node) -> Set<Input> {
        switch node {
        case .literal: return []
        case .input(let input): return [input]
        case .concatenation(let parts): return parts.reduce(into: []) { $0.formUnion(inputs(of: $1)) }
        case .call(_, let arguments, _): return arguments.reduce(into: []) { $0.formUnion(inputs(of: $1)) }
        }
    }

    /// The cost parameters of the key-derivation functions the formula calls,
    /// checked against `limits` once, when the formula is read.
    public func checkCosts(_ limits: CostLimits) throws(HashError) {
        try Self.checkCosts(root, limits)
    }

    private static func checkCosts(_ node: Node, _ limits: CostLimits) throws(HashError) {
        guard case .call(let function, let arguments, let options) = node else {
            if case .concatenation(let parts) = node { for part in parts { try checkCosts(part, limits) } }
            return
        }
        let scheme = "expression"
        switch function {
        case .pbkdf2:
            try limits.checkIterations(options["iterations"] ?? 0, scheme: scheme)
        case .scrypt:
            try ScryptScheme.checkCost(
                n: options["n"] ?? 0, r: options["r"] ?? 0, p: options["p"] ?? 0, scheme: scheme, limits: limits)
        case .argon2:
            let memory = options["m"] ?? 0
            let passes = options["t"] ?? 0
            let lanes = options["p"] ?? 0
            if memory > limits.maxArgon2MemoryKiB || passes > limits.maxArgon2Iterations
                || lanes > limits.maxArgon2Parallelism
            {
                throw .overLimit(
                    scheme: scheme,
                    reason:
                        "argon2 m=\(memory) t=\(passes) p=\(lanes) exceeds the limits m=\(limits.maxArgon2MemoryKiB) t=\(limits.maxArgon2Iterations) p=\(limits.maxArgon2Parallelism)"
                )
            }
        default: break
        }
        for argument in arguments { try checkCosts(argument, limits) }
    }
}
