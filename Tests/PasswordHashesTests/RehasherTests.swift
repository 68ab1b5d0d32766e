import Foundation
import Testing

@testable import PasswordHashes

struct RehasherTests {
    /// Cheap parameters: the round trip, not the cost, is under test.
    static var quick: RehashParameters {
        var parameters = RehashParameters()
        parameters.argon2MemoryKiB = 64
        parameters.argon2Iterations = 1
        parameters.bcryptCost = 4
        parameters.pbkdf2Iterations = 1000
        parameters.scryptLog2N = 8
        return parameters
    }

    @Test(arguments: [
        (RehashAlgorithm.argon2id, RehashFormat.phc, "argon2id"), (.argon2id, .django, "django-argon2"),
        (.argon2id, .kratos, "argon2id"), (.bcrypt, .phc, "bcrypt"), (.bcrypt, .django, "django-bcrypt"),
        (.bcrypt, .kratos, "bcrypt"), (.pbkdf2SHA256, .phc, "passlib-pbkdf2-sha256"),
        (.pbkdf2SHA256, .django, "django-pbkdf2-sha256"),
        (.scrypt, .phc, "passlib-scrypt"), (.scrypt, .django, "django-scrypt"),
    ])
    func createdHashesVerify(algorithm: RehashAlgorithm, format: RehashFormat, scheme: String) throws {
        let password = "pässwörd ✓ long enough"
        let hash = try Rehasher(algorithm: algorithm, format: format, parameters: Self.quick).hash(password)
        let catalog = HashCatalog()
        #expect(catalog.verify(password: password, hash: hash) == .match(scheme: scheme))
        #expect(catalog.verify(password: password + "!", hash: hash) == .mismatch(scheme: scheme))
        // A second hash of the same password uses a fresh salt.
        #expect(try Rehasher(algorithm: algorithm, format: format, parameters: Self.quick).hash(password) != hash)
    }

    /// Formats whose platform would not keep a scheme's hashes refuse it,
    /// saying why, rather than writing hashes that are rewritten at once.
    @Test(arguments: [
        (RehashFormat.kratos, RehashAlgorithm.pbkdf2SHA256, "first login"), (.kratos, .scrypt, "first login"),
        (.keycloak, .bcrypt, "no built-in"), (.keycloak, .scrypt, "no built-in"),
    ])
    func formatsRefuseSchemesTheirPlatformRewrites(format: RehashFormat, algorithm: RehashAlgorithm, why: String) {
        #expect(format.refusal(of: algorithm)?.contains(why) == true)
        #expect(throws: (any Error).self) {
            try Rehasher(algorithm: algorithm, format: format, parameters: Self.quick).hash("password")
        }
    }

    @Test func defaultsAreOWASPs() throws {
        let hash = try Rehasher().hash("password")
        #expect(hash.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
    }

    /// Django's own defaults (5.2) and salts of 22 characters: what its
    /// `must_update` treats as current (`scripts/check-rehash-current` asks
    /// Django itself).
    @Test(arguments: [
        (RehashAlgorithm.argon2id, "argon2$argon2id$v=19$m=102400,t=2,p=8$"), (.pbkdf2SHA256, "pbkdf2_sha256$1000000$"),
        (.bcrypt, "bcrypt$$2b$12$"),
    ])
    func djangoFormatUsesDjangosDefaults(algorithm: RehashAlgorithm, prefix: String) throws {
        let rehasher = Rehasher(algorithm: algorithm, format: .django, parameters: .defaults(for: .django))
        let hash = try rehasher.hash("password")
        #expect(hash.hasPrefix(prefix), "\(hash.prefix(40))")
        if algorithm == .argon2id {
            // Django hands argon2 its salt as text: the PHC salt decodes to 22 alphanumerics.
            let salt = hash.split(separator: "$")[4]
            let bytes = try #require(Base64Alphabet.standard.decode(String(salt)))
            #expect(bytes.count == 22)
            let alphanumerics = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
            #expect(bytes.allSatisfy(alphanumerics.contains))
        }
        if algorithm == .pbkdf2SHA256 { #expect(hash.split(separator: "$")[2].count == 22) }
    }

    /// Keycloak's argon2 provider rehashes any credential whose iterations,
    /// type, version, hash length, memory or parallelism differ from its
    /// defaults (`Argon2PasswordHashProvider.policyCheck`, `Argon2Parameters`
    /// in keycloak/keycloak): Ferry's credential matches them.
    @Test func keycloakArgon2PassesKeycloaksPolicyCheck() throws {
        let json = try Rehasher(algorithm: .argon2id, format: .keycloak, parameters: .defaults(for: .keycloak))
            .hash("password")
        let credential = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let credentialData = try #require(credential["credentialData"] as? String)
        let data = try #require(
            try JSONSerialization.jsonObject(with: Data(credentialData.utf8)) as? [String: Any])
        #expect(data["hashIterations"] as? Int == 5)
        let parameters = try #require(data["additionalParameters"] as? [String: [String]])
        #expect(parameters["type"] == ["id"])
        #expect(parameters["version"] == ["1.3"])
        #expect(parameters["hashLength"] == ["32"])
        #expect(parameters["memory"] == ["7168"])
        #expect(parameters["parallelism"] == ["1"])
        let secretData = try #require(credential["secretData"] as? String)
        let secret = try #require(try JSONSerialization.jsonObject(with: Data(secretData.utf8)) as? [String: Any])
        let salt = try #require(secret["salt"] as? String)
        #expect(Base64Alphabet.standard.decode(salt)?.count == 16)
    }

    @Test func saltLengthIsConfigurable() throws {
        var parameters = Self.quick
        parameters.saltLength = 32
        let hash = try Rehasher(algorithm: .argon2id, format: .phc, parameters: parameters).hash("password")
        let salt = try #require(Base64Alphabet.standard.decode(String(hash.split(separator: "$")[3])))
        #expect(salt.count == 32)
        parameters.saltLength = 4
        #expect(throws: RehashError.invalidParameters("salt length must be 8…64")) {
            try Rehasher(parameters: parameters).hash("password")
        }
    }

    @Test func keycloakCredentialIsImportableJSON() throws {
        let text = try Rehasher(algorithm: .pbkdf2SHA256, format: .keycloak, parameters: Self.quick).hash("password")
        let credential = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        #expect(credential["type"] as? String == "password")
        let secret =
            try JSONSerialization.jsonObject(with: Data((credential["secretData"] as! String).utf8)) as! [String: Any]
        let data =
            try JSONSerialization.jsonObject(with: Data((credential["credentialData"] as! String).utf8))
            as! [String: Any]
        #expect(data["algorithm"] as? String == "pbkdf2-sha256")
        #expect(data["hashIterations"] as? Int == 1000)
        let salt = Base64Alphabet.standard.decode(secret["salt"] as! String)!
        let value = Base64Alphabet.standard.decode(secret["value"] as! String)!
        #expect(
            value
                == DigestAlgorithm.sha256.pbkdf2(
                    password: Array("password".utf8), salt: salt, iterations: 1000, keyLength: 64))
    }

    @Test(arguments: [(RehashAlgorithm.bcrypt, RehashFormat.keycloak), (.scrypt, .keycloak), (.scrypt, .kratos)])
    func unsupportedCombinationsAreRefused(algorithm: RehashAlgorithm, format: RehashFormat) {
        #expect(throws: RehashError.unsupportedFormat(algorithm: algorithm, format: format)) {
            try Rehasher(algorithm: algorithm, format: format, parameters: Self.quick).hash("password")
        }
    }

    @Test func bcryptRefusesPasswordsItWouldTruncate() {
        #expect(throws: RehashError.self) {
            try Rehasher(algorithm: .bcrypt, parameters: Self.quick).hash(String(repeating: "a", count: 73))
        }
    }

    @Test func absurdParametersAreRefused() {
        var parameters = Self.quick
        parameters.bcryptCost = 40
        #expect(throws: RehashError.invalidParameters("bcrypt cost must be 4…31")) {
            try Rehasher(algorithm: .bcrypt, parameters: parameters).hash("password")
        }
    }
}
