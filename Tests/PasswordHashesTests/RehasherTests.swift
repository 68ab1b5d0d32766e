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
        (.pbkdf2SHA256, .django, "django-pbkdf2-sha256"), (.pbkdf2SHA256, .kratos, "kratos-pbkdf2-sha256"),
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

    @Test func defaultsAreOWASPs() throws {
        let hash = try Rehasher().hash("password")
        #expect(hash.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
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
