import Foundation
import PasswordHashes
import Testing

@testable import FerryDemo

/// RFC 6238 Appendix B: 8-digit codes, 30 s steps, the RFC's ASCII seeds.
struct TOTPTests {
    static let sha1Seed = Array("12345678901234567890".utf8)
    static let sha256Seed = Array("12345678901234567890123456789012".utf8)
    static let sha512Seed = Array("1234567890123456789012345678901234567890123456789012345678901234".utf8)

    @Test(arguments: [
        (59.0, "94287082", "46119246", "90693936"),
        (1_111_111_109, "07081804", "68084774", "25091201"),
        (1_111_111_111, "14050471", "67062674", "99943326"),
        (1_234_567_890, "89005924", "91819424", "93441116"),
        (2_000_000_000, "69279037", "90698825", "38618901"),
        (20_000_000_000, "65353130", "77737706", "47863826"),
    ])
    func rfc6238(time: Double, sha1: String, sha256: String, sha512: String) {
        let date = Date(timeIntervalSince1970: time)
        #expect(TOTP(secret: Self.sha1Seed, digits: 8, algorithm: .sha1).code(at: date) == sha1)
        #expect(TOTP(secret: Self.sha256Seed, digits: 8, algorithm: .sha256).code(at: date) == sha256)
        #expect(TOTP(secret: Self.sha512Seed, digits: 8, algorithm: .sha512).code(at: date) == sha512)
    }

    @Test func verifyAcceptsOneStepOfDriftOnly() {
        let totp = TOTP(secret: Self.sha1Seed)
        let now = Date(timeIntervalSince1970: 1_234_567_890)
        #expect(totp.verify(totp.code(at: now), at: now))
        #expect(totp.verify(totp.code(at: now.addingTimeInterval(-30)), at: now))
        #expect(!totp.verify(totp.code(at: now.addingTimeInterval(-90)), at: now))
        #expect(!totp.verify("12345", at: now))
        #expect(!totp.verify("abcdef", at: now))
    }

    /// A device whose clock runs ahead is met where it is: the window moves
    /// with the learned drift, and the old centre falls out of it.
    @Test func learnedDriftMovesTheWindow() {
        let totp = TOTP(secret: Self.sha1Seed)
        let now = Date(timeIntervalSince1970: 1_234_567_890)
        let ahead = { (steps: Double) in totp.code(at: now.addingTimeInterval(steps * 30)) }
        #expect(totp.acceptedStep(ahead(3), at: now) == nil)
        #expect(totp.acceptedStep(ahead(3), at: now, drift: 3) == totp.step(at: now) + 3)
        #expect(totp.acceptedStep(ahead(4), at: now, drift: 3) == totp.step(at: now) + 4)
        #expect(totp.acceptedStep(ahead(0), at: now, drift: 3) == nil)
        #expect(totp.acceptedStep(ahead(3), at: now, drift: 3, after: totp.step(at: now) + 3) == nil, "used once")
    }

    @Test func base32RoundTrips() {
        #expect(Base32.encode(Array("foobar".utf8)) == "MZXW6YTBOI")
        #expect(Base32.decode("MZXW6YTBOI======") == Array("foobar".utf8))
        #expect(Base32.decode("mzxw6ytboi") == Array("foobar".utf8))
        #expect(Base32.decode("MZXW1") == nil)
    }
}
