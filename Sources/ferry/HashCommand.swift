import ArgumentParser
import Foundation
import PasswordHashes

struct HashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Identify, verify, create and benchmark password hashes.",
        subcommands: [HashVerify.self, HashIdentify.self, HashCreate.self, HashBench.self])
}

/// Options shared by the verbs that read legacy hashes.
struct HashLimitOptions: ParsableArguments {
    @Flag(help: "Accept Spring {noop} hashes (plaintext passwords).")
    var allowPlaintext = false

    @Option(help: "Refuse bcrypt hashes above this cost.")
    var maxBcryptCost = CostLimits().maxBcryptCost

    @Option(help: "Refuse PBKDF2 iterations / sha-crypt rounds above this.")
    var maxIterations = CostLimits().maxIterations

    @Option(help: "Refuse scrypt / yescrypt hashes needing more memory than this many MiB.")
    var maxScryptMiB = CostLimits().maxScryptMemory >> 20

    @Option(help: "Refuse Argon2 hashes needing more memory than this many KiB.")
    var maxArgon2KiB = CostLimits().maxArgon2MemoryKiB

    @Option(
        help:
            "Configured format for hashes that do not describe themselves: md5, sha1, sha224, sha256, sha384 or sha512."
    )
    var digest: String?

    @Option(help: "Configured format: where the salt goes (prefix, suffix or template).")
    var saltPosition = "prefix"

    @Option(help: "Configured format: template such as {SALT}--{PASSWORD}, with --salt-position template.")
    var template: String?

    @Option(help: "Configured format: salt encoding (hex, base64, utf8).")
    var saltEncoding = "utf8"

    @Option(help: "Configured format: hash encoding (hex, base64, utf8).")
    var hashEncoding = "hex"

    @Option(help: "Configured format: password encoding (utf8, latin1, utf16le).")
    var passwordEncoding = "utf8"

    @Option(help: "Configured format: HMAC key (pepper). Prefer --pepper-file; this one is visible in `ps`.")
    var pepper: String?

    @Option(help: "Configured format: file holding the HMAC key (pepper).")
    var pepperFile: String?

    @Option(help: "Configured format: times the digest is applied.")
    var iterations = 1

    @Option(
        help: """
            The application's formula, e.g. 'md5(md5(PASSWORD) + SALT)' or 'bcrypt(PASSWORD + PEPPER)' \
            (docs/configuration.md, [legacy.hash] expression). Each line may carry "salt" and "username".
            """)
    var expression: String?

    @Option(help: "With --expression: all (every hash) or unrecognized (only hashes no known format reads).")
    var rows = ExpressionFormat.Rows.all.rawValue

    func validate() throws {
        _ = try configuredFormat()
        _ = try expressionFormat()
    }

    func pepperBytes() throws -> [UInt8]? {
        if let pepperFile {
            var text = try String(contentsOfFile: pepperFile, encoding: .utf8)
            while text.hasSuffix("\n") { text.removeLast() }
            return Array(text.utf8)
        }
        return pepper.map { Array($0.utf8) }
    }

    func expressionFormat() throws -> ExpressionFormat? {
        guard let expression else { return nil }
        guard digest == nil else {
            throw ValidationError("--expression and --digest describe the same hashes; give one")
        }
        guard let rows = ExpressionFormat.Rows(rawValue: rows) else {
            throw ValidationError("--rows must be all or unrecognized")
        }
        let parsed: HashExpression
        do {
            parsed = try HashExpression(parsing: expression)
        } catch {
            throw ValidationError("--expression \(error)")
        }
        let pepper = try pepperBytes()
        if parsed.inputs.contains(.pepper) && pepper == nil {
            throw ValidationError("--expression reads PEPPER; give --pepper-file")
        }
        do {
            try parsed.checkCosts(costLimits)
        } catch {
            throw ValidationError("--expression: \(error)")
        }
        return ExpressionFormat(expression: parsed, pepper: pepper ?? [], rows: rows)
    }

    func configuredFormat() throws -> ConfiguredDigestFormat? {
        guard let digest else { return nil }
        guard let algorithm = DigestAlgorithm(rawValue: digest) else {
            throw ValidationError("--digest must be one of md5, sha1, sha224, sha256, sha384, sha512")
        }
        let placement: ConfiguredDigestFormat.SaltPlacement
        switch (saltPosition, template) {
        case ("prefix", nil): placement = .prefix
        case ("suffix", nil): placement = .suffix
        case ("template", let template?) where template.contains("{PASSWORD}"): placement = .template(template)
        default:
            throw ValidationError(
                "--salt-position is prefix, suffix, or template with --template containing {PASSWORD}")
        }
        guard let salt = ConfiguredDigestFormat.BinaryEncoding(rawValue: saltEncoding),
            let hash = ConfiguredDigestFormat.BinaryEncoding(rawValue: hashEncoding),
            let password = ConfiguredDigestFormat.PasswordEncoding(rawValue: passwordEncoding)
        else {
            throw ValidationError(
                "encodings: hex, base64 or utf8 for salt and hash; utf8, latin1 or utf16le for password")
        }
        let pepperBytes = try pepperBytes()
        guard (1...10_000_000).contains(iterations) else { throw ValidationError("--iterations must be 1…10000000") }
        return ConfiguredDigestFormat(
            digest: algorithm, salt: placement, saltEncoding: salt, hashEncoding: hash, passwordEncoding: password,
            pepper: pepperBytes, iterations: iterations)
    }

    var costLimits: CostLimits {
        var limits = CostLimits()
        limits.maxBcryptCost = maxBcryptCost
        limits.maxIterations = maxIterations
        limits.maxScryptMemory = maxScryptMiB << 20
        limits.maxArgon2MemoryKiB = maxArgon2KiB
        return limits
    }

    var catalog: HashCatalog {
        HashCatalog(
            limits: costLimits, allowPlaintext: allowPlaintext, configured: try? configuredFormat(),
            expression: try? expressionFormat())
    }
}

struct HashVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify passwords against hashes, one JSON object per line.",
        discussion: """
            Reads JSON Lines from standard input, each {"hash": "...", "password": "..."} \
            (optionally "salt" and "username" for configured formats and expressions), and writes one line per input, in \
            order: {"match": true|false, "scheme": "<id>"} or {"error": "<reason>", \
            "scheme": "<id if known>"}. Reasons: unsupported, malformed, over_limit, \
            invalid_input. Verifications run in parallel on the hash worker pool. Exits 0 \
            when every line was processed.
            """)

    @OptionGroup var limits: HashLimitOptions

    @Option(help: "Worker threads (0: one per core).")
    var threads = 0

    struct Input: Decodable {
        var hash: String
        var password: String
        var salt: String?
        var username: String?
    }

    func run() async throws {
        let catalog = limits.catalog
        let batchSize = 256
        let pool = HashWorkerPool(threads: threads, queueCapacity: batchSize)
        defer { pool.shutdown() }
        // Whatever lines have arrived, up to a batch: a file is verified in
        // parallel batches, a program writing one line at a time gets each
        // answer as soon as it is computed.
        let feed = LineFeed(capacity: batchSize * 4)
        while let batch = feed.next(max: batchSize) {
            try await process(batch, catalog: catalog, pool: pool)
        }
    }

    private func process(_ lines: [String], catalog: HashCatalog, pool: HashWorkerPool) async throws {
        let results = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, line) in lines.enumerated() {
                group.addTask {
                    guard let data = line.data(using: .utf8),
                        let input = try? JSONDecoder().decode(Input.self, from: data)
                    else {
                        return (
                            index,
                            Self.json([
                                "error": "invalid_input", "detail": "expected {\"hash\": string, \"password\": string}",
                            ])
                        )
                    }
                    let result = try await pool.run {
                        catalog.verify(
                            password: input.password, hash: input.hash, salt: input.salt, username: input.username)
                    }
                    return (index, Self.render(result))
                }
            }
            var ordered = [String](repeating: "", count: lines.count)
            for try await (index, text) in group { ordered[index] = text }
            return ordered
        }
        // Written at once, not held in stdout's buffer until it fills.
        if !results.isEmpty { FileHandle.standardOutput.write(Data((results.joined(separator: "\n") + "\n").utf8)) }
    }

    static func render(_ result: VerificationResult) -> String {
        switch result {
        case .match(let scheme): return json(["match": true, "scheme": scheme])
        case .mismatch(let scheme): return json(["match": false, "scheme": scheme])
        case .error(let error):
            var object: [String: Any] = ["error": error.code, "detail": error.description]
            if let scheme = error.scheme { object["scheme"] = scheme }
            return json(object)
        }
    }

    static func json(_ object: [String: Any]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}

struct HashIdentify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identify",
        abstract: "Print a hash's scheme id and parameters (never its salt or digest).")

    @Argument(help: "The hash string. Quote it: it usually contains `$`.")
    var hash: String

    @OptionGroup var limits: HashLimitOptions

    @Flag(help: "Print JSON instead of lines of text.")
    var json = false

    func run() throws {
        do {
            let parsed = try limits.catalog.parse(hash)
            if json {
                var object: [String: Any] = ["scheme": parsed.scheme]
                object["parameters"] = Dictionary(
                    parsed.parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
                print(HashVerify.json(object))
            } else {
                print("scheme: \(parsed.scheme)")
                for parameter in parsed.parameters { print("\(parameter.name): \(parameter.value)") }
            }
        } catch {
            printError("ferry hash identify: \(error)")
            throw ExitCode.failure
        }
    }
}

struct HashCreate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Hash the password read from standard input with a modern algorithm.",
        discussion: "Reads the password (one line) from standard input and prints the hash on standard output.")

    @Option(help: "Algorithm: \(RehashAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")).")
    var scheme: String = RehashAlgorithm.argon2id.rawValue

    @Option(help: "Output format: \(RehashFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: String = RehashFormat.phc.rawValue

    // Unset: what the format's platform writes itself (RehashParameters.defaults(for:)).
    @Option(help: "argon2id memory in KiB (default: the format's).") var memory: Int?
    @Option(help: "argon2id passes.") var passes: Int?
    @Option(help: "argon2id / scrypt parallelism.") var parallelism: Int?
    @Option(help: "bcrypt cost.") var cost: Int?
    @Option(help: "PBKDF2 iterations.") var iterations: Int?
    @Option(help: "scrypt log2(N).") var scryptLog2N: Int?
    @Option(help: "scrypt block size r.") var scryptR: Int?
    @Option(help: "Salt length (bytes; characters for django).") var saltLength: Int?

    func run() throws {
        guard let algorithm = RehashAlgorithm(rawValue: scheme) else {
            throw ValidationError(
                "unknown scheme \"\(scheme)\"; use one of \(RehashAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        guard let outputFormat = RehashFormat(rawValue: format) else {
            throw ValidationError(
                "unknown format \"\(format)\"; use one of \(RehashFormat.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        guard let password = readLine(strippingNewline: true) else {
            throw ValidationError("no password on standard input")
        }
        var parameters = RehashParameters.defaults(for: outputFormat)
        if let memory { parameters.argon2MemoryKiB = memory }
        if let passes { parameters.argon2Iterations = passes }
        if let parallelism {
            parameters.argon2Parallelism = parallelism
            parameters.scryptP = parallelism
        }
        if let cost { parameters.bcryptCost = cost }
        if let iterations { parameters.pbkdf2Iterations = iterations }
        if let scryptLog2N { parameters.scryptLog2N = scryptLog2N }
        if let scryptR { parameters.scryptR = scryptR }
        parameters.saltLength = saltLength
        do {
            print(try Rehasher(algorithm: algorithm, format: outputFormat, parameters: parameters).hash(password))
        } catch {
            printError("ferry hash create: \(error)")
            throw ExitCode.failure
        }
    }
}

/// Standard input's lines, read by a thread of their own as they arrive and
/// handed out in groups of whatever is waiting (at most `capacity` are held).
final class LineFeed: @unchecked Sendable {
    private let condition = NSCondition()
    private var lines: [String] = []
    private var finished = false
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        let thread = Thread { [self] in
            while let line = readLine(strippingNewline: true) {
                condition.lock()
                while lines.count >= capacity { condition.wait() }
                lines.append(line)
                condition.broadcast()
                condition.unlock()
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.start()
    }

    /// Waits for at least one line; returns up to `max` of those waiting, or
    /// nil once input has ended and every line was handed out.
    func next(max: Int) -> [String]? {
        condition.lock()
        defer { condition.unlock() }
        while lines.isEmpty && !finished { condition.wait() }
        guard !lines.isEmpty else { return nil }
        let taken = Array(lines.prefix(max))
        lines.removeFirst(taken.count)
        condition.broadcast()
        return taken
    }
}
