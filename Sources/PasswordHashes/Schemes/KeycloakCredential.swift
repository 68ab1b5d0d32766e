import Foundation

/// Keycloak's password credential as its admin API, realm exports and Ferry's
/// own `keycloak` rehash format write it: `{"type": "password", "secretData":
/// "{\"value\": …, \"salt\": …}", "credentialData": "{\"hashIterations\": …,
/// \"algorithm\": …}"}`. The two inner documents may also be objects, as a query
/// joining `credential.secret_data` and `credential.credential_data` builds them.
/// Algorithms: `pbkdf2` (SHA-1), `pbkdf2-sha256`, `pbkdf2-sha512`, `argon2`.
struct KeycloakCredentialScheme: HashScheme {
    func parse(_ hash: String, limits: CostLimits) throws(HashError) -> (any ParsedHash)? {
        guard hash.hasPrefix("{"), hash.contains("\"secretData\""), hash.contains("\"credentialData\"") else {
            return nil
        }
        let scheme = "keycloak"
        guard let outer = Self.object(hash), let secret = Self.object(outer["secretData"]),
            let credential = Self.object(outer["credentialData"])
        else {
            throw .malformed(scheme: scheme, reason: "expected JSON with secretData and credentialData documents")
        }
        let b64 = Base64Alphabet.standard
        guard let algorithm = credential["algorithm"] as? String, let iterations = credential["hashIterations"] as? Int,
            let valueText = secret["value"] as? String, let expected = b64.decode(valueText), !expected.isEmpty,
            let saltText = secret["salt"] as? String, let salt = b64.decode(saltText)
        else {
            throw .malformed(
                scheme: scheme, reason: "needs credentialData.algorithm, .hashIterations and secretData.value, .salt")
        }
        let digests: [String: DigestAlgorithm] = ["pbkdf2": .sha1, "pbkdf2-sha256": .sha256, "pbkdf2-sha512": .sha512]
        if let digest = digests[algorithm] {
            let scheme = "keycloak-\(algorithm)"
            try limits.checkIterations(iterations, scheme: scheme)
            // The key length is whatever the realm's provider wrote (512 bits by default).
            return DerivedKeyHash(
                scheme: scheme,
                parameters: [("iterations", String(iterations)), ("key_bytes", String(expected.count))],
                expected: expected,
                derive: { digest.pbkdf2(password: $0, salt: salt, iterations: iterations, keyLength: expected.count) })
        }
        guard algorithm == "argon2" else {
            throw .unsupported(
                "Keycloak algorithm \"\(algorithm)\" (known: pbkdf2, pbkdf2-sha256, pbkdf2-sha512, argon2)")
        }
        return try argon2(credential, iterations: iterations, salt: salt, expected: expected, limits: limits)
    }

    /// Keycloak's argon2 provider keeps its parameters as one-element string
    /// lists under `additionalParameters`.
    private func argon2(
        _ credential: [String: Any], iterations: Int, salt: [UInt8], expected: [UInt8], limits: CostLimits
    ) throws(HashError) -> any ParsedHash {
        let scheme = "keycloak-argon2"
        let extra = credential["additionalParameters"] as? [String: Any] ?? [:]
        func number(_ name: String, _ fallback: Int) -> Int? {
            guard let value = extra[name] else { return fallback }
            let text = (value as? [String])?.first ?? (value as? String)
            return text.flatMap { Int($0) }
        }
        let types: [String: Argon2Variant] = ["id": .argon2id, "i": .argon2i, "d": .argon2d]
        let typeName = ((extra["type"] as? [String])?.first) ?? "id"
        let versionName = ((extra["version"] as? [String])?.first) ?? "1.3"
        guard let variant = types[typeName], versionName == "1.3" || versionName == "1.0",
            let memory = number("memory", 7168), let parallelism = number("parallelism", 1),
            number("hashLength", 32) == expected.count
        else {
            throw .malformed(
                scheme: scheme, reason: "additionalParameters type, version, memory, parallelism, hashLength unreadable"
            )
        }
        guard memory >= 8, memory <= limits.maxArgon2MemoryKiB, (1...limits.maxArgon2Iterations).contains(iterations),
            (1...limits.maxArgon2Parallelism).contains(parallelism)
        else {
            throw .overLimit(
                scheme: scheme, reason: "m=\(memory) t=\(iterations) p=\(parallelism) outside Ferry's argon2 limits")
        }
        let parameters = Argon2Parameters(
            variant: variant, version: versionName == "1.3" ? 0x13 : 0x10, memoryKiB: UInt32(memory),
            iterations: UInt32(iterations), parallelism: UInt32(parallelism))
        return DerivedKeyHash(
            scheme: scheme,
            parameters: [
                ("variant", variant.rawValue), ("memory_kib", String(memory)), ("iterations", String(iterations)),
                ("parallelism", String(parallelism)),
            ],
            expected: expected,
            derive: { parameters.derive(password: $0, salt: salt, length: expected.count) ?? [] })
    }

    /// A JSON object given as text (Keycloak nests documents as strings) or as
    /// an object already.
    private static func object(_ value: Any?) -> [String: Any]? {
        if let object = value as? [String: Any] { return object }
        guard let text = value as? String, let data = text.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object
    }
}
