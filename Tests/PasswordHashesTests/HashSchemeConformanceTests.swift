import Testing

@testable import PasswordHashes

/// One shared test run over every family's table of known vectors: the right
/// password matches, the scheme is identified, and a wrong password does not.
struct HashSchemeConformanceTests {
    let catalog = HashCatalog()

    @Test(arguments: KnownVectors.all)
    func knownVectorIdentifiesAndVerifies(_ vector: KnownVector) throws {
        let parsed = try catalog.parse(vector.hash)
        #expect(parsed.scheme == vector.scheme)
        #expect(parsed.verify(vector.password), "\(vector) does not verify")
    }

    @Test(arguments: KnownVectors.all)
    func wrongPasswordDoesNotMatch(_ vector: KnownVector) throws {
        let parsed = try catalog.parse(vector.hash)
        // Different from the first byte on: DES crypt reads only 8 bytes, and $2x$'s
        // sign-extension bug makes passwords that differ in one bit next to a high
        // byte collide — that is the format's real behaviour, not Ferry's.
        #expect(!parsed.verify(Array("X-not-the-password".utf8)))
        if vector.password.count > 1 {
            #expect(!parsed.verify(Array(vector.password.dropLast())) || vector.password.count > 72)
        }
    }

    @Test(arguments: KnownVectors.all)
    func parametersNeverContainTheDigest(_ vector: KnownVector) throws {
        let parsed = try catalog.parse(vector.hash)
        let tail = String(vector.hash.suffix(12))
        for parameter in parsed.parameters {
            #expect(!parameter.value.contains(tail))
        }
    }

    @Test func catalogVerifyReportsSchemeAndOutcome() {
        #expect(
            catalog.verify(password: "password", hash: "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=")
                == .match(scheme: "ldap-sha"))
        #expect(
            catalog.verify(password: "Password", hash: "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=")
                == .mismatch(scheme: "ldap-sha"))
    }

    @Test func plaintextNeedsOptIn() {
        #expect(
            catalog.verify(password: "secret", hash: "{noop}secret")
                == .error(
                    .unsupported("Spring {noop} is a plaintext password; enable legacy.allow_plaintext to accept it")))
        let permissive = HashCatalog(allowPlaintext: true)
        #expect(permissive.verify(password: "secret", hash: "{noop}secret") == .match(scheme: "spring-noop"))
        #expect(permissive.verify(password: "secret ", hash: "{noop}secret") == .mismatch(scheme: "spring-noop"))
    }

    @Test func configuredFormatWinsOverBareHexWhenSaltIsSeparate() throws {
        // sha1("abc" + "password") with the salt in its own column.
        let format = ConfiguredDigestFormat(digest: .sha1, salt: .prefix)
        let catalog = HashCatalog(configured: format)
        let hash = Hex.encode(DigestAlgorithm.sha1.digest(Array("abcpassword".utf8)))
        #expect(catalog.verify(password: "password", hash: hash, salt: "abc") == .match(scheme: "configured-sha1"))
        #expect(catalog.verify(password: "password", hash: hash, salt: "abd") == .mismatch(scheme: "configured-sha1"))
        // Without a salt, a bare digest is identified by its length.
        let md5 = Hex.encode(DigestAlgorithm.md5.digest(Array("password".utf8)))
        #expect(catalog.verify(password: "password", hash: md5) == .match(scheme: "hex-md5"))
        // Self-describing hashes still go to their own scheme.
        #expect(
            catalog.verify(password: "password", hash: "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=")
                == .match(scheme: "ldap-sha"))
    }

    /// A base64 SHA-512 whose first byte is 0x01 looks like ASP.NET Identity
    /// V3 (base64 "A…", 88 characters); the description says what it is.
    @Test func anExplicitDescriptionWinsOverTheASPNetGuess() throws {
        var salt = 0
        var digest = DigestAlgorithm.sha512.digest(Array("s0password".utf8))
        while digest[0] != 0x01 {
            salt += 1
            digest = DigestAlgorithm.sha512.digest(Array("s\(salt)password".utf8))
        }
        let hash = Base64Alphabet.standard.encode(digest)
        #expect(hash.hasPrefix("A"))
        #expect(HashCatalog().verify(password: "password", hash: hash, salt: "s\(salt)").isMatch == false)
        let described = HashCatalog(configured: ConfiguredDigestFormat(digest: .sha512, hashEncoding: .base64))
        #expect(
            described.verify(password: "password", hash: hash, salt: "s\(salt)") == .match(scheme: "configured-sha512"))
        #expect(
            described.verify(password: "wrong", hash: hash, salt: "s\(salt)") == .mismatch(scheme: "configured-sha512"))
        // Real ASP.NET Identity hashes still verify where nothing describes another format.
        let v3 = try #require(KnownVectors.all.first { $0.scheme == "aspnet-identity-v3" })
        #expect(HashCatalog().verify(password: String(decoding: v3.password, as: UTF8.self), hash: v3.hash).isMatch)
    }

    @Test(arguments: [
        (ConfiguredDigestFormat.SaltPlacement.template("{SALT}--{PASSWORD}"), "s4lt--pässword"),
        (.suffix, "pässwords4lt"), (.prefix, "s4ltpässword"),
    ])
    func configuredSaltPlacement(placement: ConfiguredDigestFormat.SaltPlacement, input: String) {
        let format = ConfiguredDigestFormat(digest: .sha256, salt: placement, hashEncoding: .base64)
        let hash = Base64Alphabet.standard.encode(DigestAlgorithm.sha256.digest(Array(input.utf8)))
        let catalog = HashCatalog(configured: format)
        #expect(catalog.verify(password: "pässword", hash: hash, salt: "s4lt").isMatch)
    }

    @Test func configuredLatin1AndUTF16Passwords() {
        let latin1 = ConfiguredDigestFormat(digest: .md5, salt: .prefix, passwordEncoding: .latin1)
        let hash = Hex.encode(DigestAlgorithm.md5.digest(Array("s".utf8) + [0x70, 0xe4]))  // "pä" in Latin-1
        #expect(HashCatalog(configured: latin1).verify(password: "pä", hash: hash, salt: "s").isMatch)
        // A character outside Latin-1 cannot have been stored: it never matches.
        #expect(!HashCatalog(configured: latin1).verify(password: "p✓", hash: hash, salt: "s").isMatch)

        let utf16 = ConfiguredDigestFormat(digest: .sha1, salt: .suffix, passwordEncoding: .utf16le)
        let utf16Hash = Hex.encode(DigestAlgorithm.sha1.digest([0x70, 0x00, 0xe4, 0x00] + Array("s".utf8)))
        #expect(HashCatalog(configured: utf16).verify(password: "pä", hash: utf16Hash, salt: "s").isMatch)
    }

    @Test func configuredPepperAndIterations() {
        let pepper = Array("pepper".utf8)
        var value = DigestAlgorithm.sha512.hmac(key: pepper, Array("saltpw".utf8))
        value = DigestAlgorithm.sha512.digest(value)
        let format = ConfiguredDigestFormat(digest: .sha512, pepper: pepper, iterations: 2)
        #expect(HashCatalog(configured: format).verify(password: "pw", hash: Hex.encode(value), salt: "salt").isMatch)
        let unpeppered = ConfiguredDigestFormat(digest: .sha512, iterations: 2)
        #expect(
            !HashCatalog(configured: unpeppered).verify(password: "pw", hash: Hex.encode(value), salt: "salt").isMatch)
    }
}
