import Foundation
import PasswordHashes
import Testing

@testable import FerryConfig
@testable import FerryMigration

@Suite struct PortableHashTests {
    static var sha1Format: ConfiguredHashFormat {
        get throws {
            let text = """
                [server]
                listen = "127.0.0.1:0"
                [legacy]
                database = "sqlite:///tmp/legacy.db"
                user_query = "SELECT * FROM users WHERE email = :identifier"
                [legacy.hash]
                digest = "sha1"
                salt_position = "prefix"
                """
            return try #require(try ProxyConfig.parse(text, file: "t", baseDirectory: "/tmp").legacy?.hashFormat)
        }
    }

    @Test func readsEachFamily() throws {
        let bcrypt = "$2y$08$" + String(repeating: "a", count: 53)
        #expect(
            PortableHash.read(hash: bcrypt, salt: nil, scheme: "bcrypt", configured: nil) == .bcrypt(bcrypt, cost: 8))
        #expect(
            PortableHash.read(hash: "5f4dcc3b5aa765d61d8327deb882cf99", salt: nil, scheme: "hex-md5", configured: nil)
                == .digest(.md5, hash: Hex.decode("5f4dcc3b5aa765d61d8327deb882cf99")!, salt: nil, saltFirst: true))
        #expect(
            PortableHash.read(
                hash: "pbkdf2_sha256$20000$c2FsdA$AAAA", salt: nil, scheme: "django-pbkdf2-sha256", configured: nil)
                == .pbkdf2(.sha256, iterations: 20000, salt: Array("c2FsdA".utf8), key: [0, 0, 0]))
        #expect(
            PortableHash.read(hash: "$6$salt$abc", salt: nil, scheme: "sha512-crypt", configured: nil)
                == .crypt("$6$salt$abc", kind: .sha512))
        #expect(PortableHash.read(hash: "$P$Babc", salt: nil, scheme: "phpass", configured: nil) == .notPortable)
        let configured = PortableHash.read(
            hash: "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", salt: "pepperless", scheme: "configured-sha1",
            configured: try Self.sha1Format)
        #expect(
            configured
                == .digest(
                    .sha1, hash: Hex.decode("a94a8fe5ccb19ba61c4c0873d391e987982fbbd3")!,
                    salt: Array("pepperless".utf8), saltFirst: true))
        var iterated = try Self.sha1Format
        iterated.iterations = 2
        #expect(
            PortableHash.read(
                hash: "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", salt: "x", scheme: "configured-sha1",
                configured: iterated)
                == .notPortable)
    }

    /// {SSHA} is sha1(password + salt) with the salt after the digest.
    /// A peppered bcrypt looks like bcrypt; exported as bcrypt, no password
    /// would ever match on the other platform.
    @Test func formulaRowsAreNotPortable() {
        let bcrypt = "$2b$04$abcdefghijklmnopqrstuuaRnO1jHvHXiB7bB/Qat.1ACZxMbXW3."
        #expect(
            PortableHash.read(hash: bcrypt, salt: nil, scheme: "expression-bcrypt", configured: nil) == .notPortable)
        #expect(
            PortableHash.read(
                hash: "f24a0e9ce12069c72f77046ad708b655", salt: "abc", scheme: "expression", configured: nil)
                == .notPortable)
    }

    @Test func ldapSaltedDigestsBecomeSuffixSaltedDigests() throws {
        let salt: [UInt8] = [1, 2, 3, 4]
        let digest = DigestAlgorithm.sha1.digest(Array("secret".utf8) + salt)
        let hash = "{SSHA}" + Data(digest + salt).base64EncodedString()
        #expect(
            PortableHash.read(hash: hash, salt: nil, scheme: "ldap-ssha", configured: nil)
                == .digest(.sha1, hash: digest, salt: salt, saltFirst: false))
    }

    /// Which platform takes which family — the table in docs/stragglers.md.
    @Test(arguments: [
        ("bcrypt", true, true, true),
        ("argon2id", true, false, true),
        ("md5", true, true, true),
        ("salted-sha1", true, true, true),
        ("pbkdf2", true, true, true),
        ("sha512-crypt", false, false, true),
        ("phpass", false, false, false),
    ])
    func platformsAccept(family: String, auth0: Bool, okta: Bool, kratos: Bool) {
        let hashes: [String: PortableHash] = [
            "bcrypt": .bcrypt("$2b$10$" + String(repeating: "a", count: 53), cost: 10),
            "argon2id": .argon2("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA", variant: "argon2id"),
            "md5": .digest(.md5, hash: Array(repeating: 1, count: 16), salt: nil, saltFirst: true),
            "salted-sha1": .digest(.sha1, hash: Array(repeating: 1, count: 20), salt: [7], saltFirst: true),
            "pbkdf2": .pbkdf2(.sha256, iterations: 1000, salt: [1], key: [2]),
            "sha512-crypt": .crypt("$6$s$h", kind: .sha512),
            "phpass": .notPortable,
        ]
        let hash = hashes[family]!
        #expect(StragglerFormat.auth0.accepts(hash) == auth0)
        #expect(StragglerFormat.okta.accepts(hash) == okta)
        #expect(StragglerFormat.kratos.accepts(hash) == kratos)
    }

    @Test func kratosShapes() {
        #expect(StragglerFormat.kratosHash(.crypt("$6$s$h", kind: .sha512)) == "$sha512-crypt$s$h")
        #expect(
            StragglerFormat.kratosHash(.digest(.sha1, hash: [0xff], salt: Array("ab".utf8), saltFirst: true))
                == "$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$YWI=$/w==")
        #expect(
            StragglerFormat.kratosHash(.pbkdf2(.sha256, iterations: 5, salt: [0xfb], key: [0xff]))
                == "$pbkdf2-sha256$i=5,l=1$+w$/w")
    }
}
