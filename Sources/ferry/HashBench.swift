import ArgumentParser
import Foundation
import PasswordHashes

struct HashBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure verifications per second per hash family on this machine.",
        discussion: """
            Without --input, creates one sample hash per family with typical parameters. \
            With --input, reads JSON Lines {"family": "...", "hash": "...", "password": "..."} \
            so the same hashes can be timed against other implementations \
            (scripts/bench-hashes does this). Runs on one thread: the figure is per core.
            """)

    @Option(help: "Seconds to spend on each family.")
    var seconds: Double = 2

    @Option(help: "JSON Lines file of {family, hash, password} to time instead of the built-in samples.")
    var input: String?

    @Flag(help: "Print JSON Lines {family, per_second, verifications} instead of a table.")
    var json = false

    struct Sample: Decodable {
        var family: String
        var hash: String
        var password: String
    }

    func run() throws {
        let samples = try input.map(Self.load) ?? Self.builtInSamples()
        var families: [String] = []
        var byFamily: [String: [Sample]] = [:]
        for sample in samples {
            if byFamily[sample.family] == nil { families.append(sample.family) }
            byFamily[sample.family, default: []].append(sample)
        }
        let catalog = HashCatalog(allowPlaintext: true)
        if !json { print("family".padding(toLength: 24, withPad: " ", startingAt: 0) + "verifications/s") }
        for family in families {
            let parsed = try byFamily[family]!.map { sample in
                (try catalog.parse(sample.hash), Array(sample.password.utf8))
            }
            guard parsed.allSatisfy({ $0.0.verify($0.1) }) else {
                throw ValidationError("a sample of family \(family) does not verify; its password is wrong")
            }
            let clock = ContinuousClock()
            let start = clock.now
            let deadline = start + .milliseconds(Int64(seconds * 1000))
            var count = 0
            while clock.now < deadline || count == 0 {
                let (hash, password) = parsed[count % parsed.count]
                _ = hash.verify(password)
                count += 1
            }
            let elapsed = (clock.now - start) / .milliseconds(1) / 1000
            let rate = Double(count) / elapsed
            if json {
                print(HashVerify.json(["family": family, "per_second": rate, "verifications": count]))
            } else {
                print(family.padding(toLength: 24, withPad: " ", startingAt: 0) + String(format: "%.1f", rate))
            }
        }
    }

    static func load(_ path: String) throws -> [Sample] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Sample.self, from: Data($0.utf8)) }
    }

    /// One hash per family, created here with common parameters.
    static func builtInSamples() throws -> [Sample] {
        let password = "correct horse battery staple"
        var parameters = RehashParameters()
        parameters.bcryptCost = 10
        parameters.pbkdf2Iterations = 29_000
        parameters.scryptLog2N = 14
        let created: [(String, RehashAlgorithm)] = [
            ("bcrypt", .bcrypt), ("pbkdf2-sha256", .pbkdf2SHA256), ("scrypt", .scrypt), ("argon2id", .argon2id),
        ]
        var samples = try created.map { family, algorithm in
            Sample(
                family: family, hash: try Rehasher(algorithm: algorithm, parameters: parameters).hash(password),
                password: password)
        }
        // Written here rather than pasted in, so a sample cannot be wrong.
        let written: [(String, String?)] = [
            ("sha512-crypt", LegacyHashWriter.sha512Crypt(password)),
            ("md5-crypt", LegacyHashWriter.md5Crypt(password)),
            ("phpass", LegacyHashWriter.phpass(password, log2Rounds: 8)),
            ("md5 hex", LegacyHashWriter.md5Hex(password)),
        ]
        for (family, hash) in written {
            guard let hash else { throw ValidationError("libxcrypt could not write a \(family) sample") }
            samples.append(Sample(family: family, hash: hash, password: password))
        }
        return samples
    }
}
