import FerryTestSupport
import Foundation
import Testing

/// `ferry hash` as an operator or a script uses it.
struct HashVerbTests {
    typealias CLI = CommandLineTests

    struct Vector: Decodable {
        var family: String
        var hash: String
        var password: String
        var expect: Bool
        var salt: String?
        var username: String?
        var options: [String]?
    }

    /// A program that writes one line and waits for its answer gets it: the
    /// answer is not held until more input or the end of input arrives.
    @Test(.timeLimit(.minutes(1))) func verifyAnswersEachLineAsItComes() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        let candidates = [
            binary.appendingPathComponent("ferry"),
            binary.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("ferry"),
        ]
        guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
        else {
            Issue.record("no ferry binary next to the tests")
            return
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["hash", "verify"]
        let input = Pipe()
        let output = Pipe()
        (process.standardInput, process.standardOutput) = (input, output)
        try process.run()
        var answers: [String] = []
        for password in ["test12345", "wrong"] {
            let line = #"{"hash": "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0", "password": "\#(password)"}"# + "\n"
            input.fileHandleForWriting.write(Data(line.utf8))
            var received = Data()
            while !received.contains(UInt8(ascii: "\n")) { received += output.fileHandleForReading.availableData }
            answers.append(String(decoding: received, as: UTF8.self))
        }
        try input.fileHandleForWriting.close()
        await process.ended()
        #expect(answers == [#"{"match":true,"scheme":"phpass"}"# + "\n", #"{"match":false,"scheme":"phpass"}"# + "\n"])
    }

    /// Vectors made by passlib, bcrypt, argon2-cffi, Django, Werkzeug and Python's
    /// crypt/hashlib in a throwaway virtualenv (scripts/hash-vectors), checked by
    /// `ferry hash verify`, both matching and mismatching passwords.
    @Test(.timeLimit(.minutes(10))) func independentImplementationsAgree() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-vectors-\(UUID()).jsonl")
        defer { try? FileManager.default.removeItem(at: output) }
        let generator = Process()
        generator.executableURL = CLI.packageRoot.appendingPathComponent("scripts/hash-vectors")
        generator.arguments = [output.path]
        generator.currentDirectoryURL = CLI.packageRoot
        try generator.run()
        await generator.ended()
        try #require(generator.terminationStatus == 0, "scripts/hash-vectors failed")

        let vectors = try String(contentsOf: output, encoding: .utf8).split(separator: "\n").map {
            try JSONDecoder().decode(Vector.self, from: Data($0.utf8))
        }
        let families = Set(vectors.map(\.family))
        #expect(families.count >= 90, "only \(families.count) families generated")

        var groups: [[String]: [Vector]] = [:]
        for vector in vectors { groups[vector.options ?? [], default: []].append(vector) }
        var checked = 0
        for (options, group) in groups {
            let input = try group.map { vector -> String in
                var object: [String: String] = ["hash": vector.hash, "password": vector.password]
                if let salt = vector.salt { object["salt"] = salt }
                if let username = vector.username { object["username"] = username }
                return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            }.joined(separator: "\n")
            let run = try await CLI.ferry(["hash", "verify"] + options, input: input + "\n")
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let lines = run.stdout.split(separator: "\n")
            try #require(lines.count == group.count)
            for (vector, line) in zip(group, lines) {
                let result = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                #expect(result["match"] as? Bool == vector.expect, "\(vector.family): \(line)")
                #expect(!line.contains(vector.password), "output must not echo the password")
                checked += 1
            }
        }
        #expect(checked == vectors.count)
    }

    @Test func verifyKeepsOrderAndReportsBadLines() async throws {
        let input = """
            {"hash": "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "password": "password"}
            this is not json
            {"hash": "$2b$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "password": "U*U"}
            {"hash": "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "password": "wrong"}
            {"hash": "no-such-format", "password": "x"}

            """
        let run = try await CLI.ferry(["hash", "verify"], input: input)
        #expect(run.status == 0)
        #expect(
            run.stdout.split(separator: "\n") == [
                #"{"match":true,"scheme":"ldap-sha"}"#,
                #"{"detail":"expected {\"hash\": string, \"password\": string}","error":"invalid_input"}"#,
                #"{"detail":"bcrypt parameters over limit: cost 31 exceeds the limit of 15","error":"over_limit","scheme":"bcrypt"}"#,
                #"{"match":false,"scheme":"ldap-sha"}"#,
                #"{"detail":"unsupported hash format: no known scheme matches","error":"unsupported"}"#,
            ])
    }

    @Test func identifyShowsParametersButNoSecrets() async throws {
        let run = try await CLI.ferry([
            "hash", "identify", "$2b$12$GhvMmNVjRW29ulnudl.LbuAnUtN/LRfe1JsBm1Xu6LE3059z5Tr8m",
        ])
        #expect(run.status == 0)
        #expect(run.stdout == "scheme: bcrypt\nvariant: 2b\ncost: 12\n")
        let bad = try await CLI.ferry(["hash", "identify", "$2b$99$nope"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("malformed bcrypt hash"))
    }

    @Test(arguments: ["phc", "django", "kratos"])
    func createThenVerify(format: String) async throws {
        let created = try await CLI.ferry(
            ["hash", "create", "--scheme", "argon2id", "--format", format, "--memory", "256"],
            input: "s3cret pässword\n")
        #expect(created.status == 0, "stderr: \(created.stderr)")
        let hash = created.stdout.trimmingCharacters(in: .newlines)
        let object = try JSONSerialization.data(withJSONObject: ["hash": hash, "password": "s3cret pässword"])
        let verified = try await CLI.ferry(["hash", "verify"], input: String(decoding: object, as: UTF8.self) + "\n")
        #expect(verified.stdout.contains(#""match":true"#))
    }

    @Test func benchRunsEveryBuiltInFamily() async throws {
        let run = try await CLI.ferry(["hash", "bench", "--seconds", "0.01", "--json"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let families = try run.stdout.split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["family"] as! String
        }
        #expect(
            families == [
                "bcrypt", "pbkdf2-sha256", "scrypt", "argon2id", "sha512-crypt", "md5-crypt", "phpass", "md5 hex",
            ])
    }

    @Test func createRefusesWhatAFormatCannotHold() async throws {
        let run = try await CLI.ferry(["hash", "create", "--scheme", "bcrypt", "--format", "keycloak"], input: "x\n")
        #expect(run.status == 1)
        #expect(run.stderr.contains("keycloak format cannot hold bcrypt hashes"))
    }
}
