import Testing

@testable import PasswordHashes

struct SecretSealerTests {
    /// McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13 and 14
    /// (AES-256, zero key, zero 96-bit IV).
    @Test(arguments: [
        ([UInt8](), "530f8afbc74536b9a963b4f1c4cb738b"),
        ([UInt8](repeating: 0, count: 16), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"),
    ])
    func gcmSpecVectors(plaintext: [UInt8], expected: String) throws {
        let sealer = try SecretSealer(key: [UInt8](repeating: 0, count: 32))
        let sealed = sealer.seal(plaintext, associatedData: [], nonce: [UInt8](repeating: 0, count: 12))
        #expect(Hex.encode(Array(sealed.dropFirst(12))) == expected)
        #expect(try sealer.open(sealed) == plaintext)
    }

    @Test func tamperingWrongKeyAndWrongRowAreRefused() throws {
        let sealer = try SecretSealer(key: secureRandomBytes(32))
        let secret = Array("JBSWY3DPEHPK3PXP totp secret".utf8)
        let sealed = sealer.seal(secret, associatedData: Array("ada@example.com".utf8))
        #expect(try sealer.open(sealed, associatedData: Array("ada@example.com".utf8)) == secret)
        #expect(sealer.seal(secret) != sealer.seal(secret), "a fresh nonce every time")

        var altered = sealed
        altered[20] ^= 1
        #expect(throws: SecretSealer.SealError.authenticationFailed) {
            try sealer.open(altered, associatedData: Array("ada@example.com".utf8))
        }
        #expect(throws: SecretSealer.SealError.authenticationFailed) {
            try sealer.open(sealed, associatedData: Array("bob@example.com".utf8))
        }
        let other = try SecretSealer(key: secureRandomBytes(32))
        #expect(throws: SecretSealer.SealError.authenticationFailed) {
            try other.open(sealed, associatedData: Array("ada@example.com".utf8))
        }
        #expect(throws: SecretSealer.SealError.authenticationFailed) { try sealer.open([1, 2, 3]) }
        #expect(throws: SecretSealer.SealError.invalidKey) { try SecretSealer(key: [1, 2, 3]) }
    }
}
