import Testing

@testable import PasswordHashes

/// The standards' own test vectors, run against the primitives Ferry builds on.
struct PrimitiveVectorTests {
    /// RFC 6070 §2, PBKDF2-HMAC-SHA1.
    @Test(arguments: [
        ("password", "salt", 1, 20, "0c60c80f961f0e71f3a9b524af6012062fe037a6"),
        ("password", "salt", 2, 20, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"),
        ("password", "salt", 4096, 20, "4b007901b765489abead49d926f721d065a429c1"),
        (
            "passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25,
            "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"
        ),
        ("pass\0word", "sa\0lt", 4096, 16, "56fa6aa75548099dcc37d7f03425e0c3"),
    ])
    func rfc6070(password: String, salt: String, iterations: Int, length: Int, expected: String) {
        let key = DigestAlgorithm.sha1.pbkdf2(
            password: Array(password.utf8), salt: Array(salt.utf8), iterations: iterations, keyLength: length)
        #expect(Hex.encode(key) == expected)
    }

    /// RFC 6070 vectors through a hash string: passlib's `$pbkdf2$` form.
    @Test func rfc6070ThroughPasslibFormat() throws {
        let key = Hex.decode("4b007901b765489abead49d926f721d065a429c1")!
        let hash =
            "$pbkdf2$4096$\(Base64Alphabet.passlib.encode(Array("salt".utf8), padded: false))$\(Base64Alphabet.passlib.encode(key, padded: false))"
        let parsed = try HashCatalog().parse(hash)
        #expect(parsed.scheme == "passlib-pbkdf2")
        #expect(parsed.verify(Array("password".utf8)))
    }

    /// RFC 7914 §12, scrypt.
    @Test(arguments: [
        (
            "", "", 16, 1, 1,
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"
        ),
        (
            "password", "NaCl", 1024, 8, 16,
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
        ),
        (
            "pleaseletmein", "SodiumChloride", 16384, 8, 1,
            "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"
        ),
    ])
    func rfc7914(password: String, salt: String, n: UInt64, r: UInt64, p: UInt64, expected: String) {
        let key = scryptDerive(password: Array(password.utf8), salt: Array(salt.utf8), n: n, r: r, p: p, keyLength: 64)
        #expect(key.map { Hex.encode($0) } == expected)
    }

    /// RFC 7914 §12's fourth vector needs 1 GiB: over Ferry's default ceiling, so refused unrun.
    @Test func rfc7914GigabyteVectorIsOverLimit() {
        let hash =
            "$scrypt$ln=20,r=8,p=1$\(Base64Alphabet.standard.encode(Array("SodiumChloride".utf8), padded: false))$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        #expect(
            throws: HashError.overLimit(
                scheme: "passlib-scrypt", reason: "N=1048576, r=8, p=1 exceed the limits (256 MiB, p ≤ 16)")
        ) {
            try HashCatalog().parse(hash)
        }
    }

    /// RFC 9106 §5.1–5.3: password 32×0x01, salt 16×0x02, secret 8×0x03,
    /// associated data 12×0x04, m = 32 KiB, t = 3, p = 4, version 0x13.
    @Test(arguments: [
        (Argon2Variant.argon2d, "512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb"),
        (.argon2i, "c814d9d1dc7f37aa13f0d77f2494bda1c8de6b016dd388d29952a4c4672b6ce8"),
        (.argon2id, "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"),
    ])
    func rfc9106(variant: Argon2Variant, expected: String) {
        let parameters = Argon2Parameters(variant: variant, version: 0x13, memoryKiB: 32, iterations: 3, parallelism: 4)
        let tag = parameters.derive(
            password: [UInt8](repeating: 1, count: 32), salt: [UInt8](repeating: 2, count: 16),
            secret: [UInt8](repeating: 3, count: 8), associatedData: [UInt8](repeating: 4, count: 12), length: 32)
        #expect(tag.map { Hex.encode($0) } == expected)
    }

    @Test func constantTimeEqualsComparesWholeKeys() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(constantTimeEquals([], []))
    }

    @Test(arguments: [
        ([UInt8](), "", ""), ([0x66], "Zg==", "Zg"), ([0x66, 0x6f], "Zm8=", "Zm8"),
        ([0x66, 0x6f, 0x6f], "Zm9v", "Zm9v"),
        ([0xfb, 0xff], "+/8=", "+/8"),
    ])
    func base64RoundTrips(bytes: [UInt8], padded: String, unpadded: String) {
        #expect(Base64Alphabet.standard.encode(bytes) == padded)
        #expect(Base64Alphabet.standard.encode(bytes, padded: false) == unpadded)
        #expect(Base64Alphabet.standard.decode(padded) == bytes)
        #expect(Base64Alphabet.standard.decode(unpadded) == bytes)
    }

    @Test(arguments: ["Z", "Zg=", "Zh==", "Z===", "Zm9v!", "Zm 9v"])
    func malformedBase64IsRefused(text: String) {
        #expect(Base64Alphabet.standard.decode(text) == nil)
    }

    /// RFC 1320's test suite for MD4 (appendix A.5).
    @Test(arguments: [
        ("", "31d6cfe0d16ae931b73c59d7e0c089c0"), ("a", "bde52cb31de33e46245e05fbdbd6fb24"),
        ("abc", "a448017aaf21d8525fc10ae87aa6729d"), ("message digest", "d9130a8164549fe818874806e1c7014b"),
        ("abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"),
        (
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            "043f8582f241db351ce627e153e7f0e4"
        ),
        (
            "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
            "e33b4ddc9c38f2199c3e7b164fcc0536"
        ),
    ])
    func md4(_ message: String, _ digest: String) {
        #expect(Hex.encode(MD4.digest(Array(message.utf8))) == digest)
    }

    /// SHA-256 crypt with the 16-byte salts glibc takes matches libxcrypt, so
    /// the longer salts MySQL 8 uses go through the same algorithm.
    @Test(arguments: ["short", "sixteen-bytes-xy", "", "lètmein-ünïcødé ✓"])
    func sha256CryptMatchesLibxcrypt(_ password: String) throws {
        let salt = "saltsaltsaltsalt"
        let crypt = String(
            decoding: try #require(SystemCrypt.crypt(Array(password.utf8), setting: "$5$rounds=5000$\(salt)")),
            as: UTF8.self)
        let ours = String(
            decoding: SHA256Crypt.digest(password: Array(password.utf8), salt: Array(salt.utf8), rounds: 5000),
            as: UTF8.self)
        #expect(crypt.hasSuffix("$" + ours), "\(crypt) vs \(ours)")
    }
}
