import Testing

@testable import PasswordHashes

struct LegacyHashWriterTests {
    @Test func writtenHashesVerifyUnderTheirScheme() throws {
        let password = "pässword 1"
        let written: [(String?, String?, String)] = [
            (LegacyHashWriter.md5Hex(password), nil, "hex-md5"),
            (LegacyHashWriter.djangoPBKDF2(password, iterations: 1000), nil, "django-pbkdf2-sha256"),
            (LegacyHashWriter.bcrypt2y(password, cost: 4), nil, "bcrypt"),
            (LegacyHashWriter.phpass(password, log2Rounds: 7), nil, "phpass"),
            (LegacyHashWriter.sha512Crypt(password), nil, "sha512-crypt"),
            (LegacyHashWriter.md5Crypt(password), nil, "md5-crypt"),
        ]
        for (hash, salt, scheme) in written {
            let hash = try #require(hash)
            #expect(HashCatalog().verify(password: password, hash: hash, salt: salt) == .match(scheme: scheme))
            #expect(HashCatalog().verify(password: "other", hash: hash, salt: salt) == .mismatch(scheme: scheme))
        }
        #expect(LegacyHashWriter.bcrypt2y(password, cost: 4)?.hasPrefix("$2y$04$") == true)
        let salted = HashCatalog(configured: ConfiguredDigestFormat(digest: .sha1))
        #expect(
            salted.verify(password: password, hash: LegacyHashWriter.saltedSHA1(password, salt: "s4lt"), salt: "s4lt")
                .isMatch)
    }
}
