import Crypto
import FerryStore
import Foundation
import PasswordHashes
import Testing

@testable import FerryMigration

/// A `[legacy.hash]` description over a `user_query` without a salt column
/// (a peppered HMAC, an iterated digest) applies to every row: its 64 hex
/// characters are never read as a bare SHA-256, which every right password
/// would fail. A salt column whose value is NULL still marks a bare digest.
@Suite struct DescribedWithoutSaltTests {
    static func account(_ columns: [QueryRow.Column]) throws -> LegacyAccount {
        try LegacyRows.account(QueryRow(columns), activeStatuses: ["active"])
    }

    @Test func aPepperedDigestWithoutASaltColumnFollowsTheDescription() throws {
        let pepper = Array("site-wide pepper".utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: Array("correct horse".utf8), using: SymmetricKey(data: pepper))
        let hash = Hex.encode(Array(mac))
        let account = try Self.account([
            .init(name: "legacy_id", value: .integer(7)), .init(name: "password_hash", value: .text(hash)),
        ])
        #expect(!account.hasSaltColumn && account.verificationSalt == "")
        let catalog = HashCatalog(configured: ConfiguredDigestFormat(digest: .sha256, pepper: pepper))
        #expect(catalog.verify(password: "correct horse", hash: hash, salt: account.verificationSalt).isMatch)
        #expect(!catalog.verify(password: "wrong", hash: hash, salt: account.verificationSalt).isMatch)
        // What happened before: read as a bare SHA-256, the right password failed.
        #expect(!catalog.verify(password: "correct horse", hash: hash, salt: nil).isMatch)
    }

    @Test func aNullSaltInASaltColumnStillMarksABareDigest() throws {
        let hash = Hex.encode(DigestAlgorithm.sha256.digest(Array("correct horse".utf8)))
        let account = try Self.account([
            .init(name: "legacy_id", value: .integer(8)), .init(name: "password_hash", value: .text(hash)),
            .init(name: "salt", value: .null),
        ])
        #expect(account.hasSaltColumn && account.verificationSalt == nil)
        let catalog = HashCatalog(configured: ConfiguredDigestFormat(digest: .sha256, pepper: Array("p".utf8)))
        #expect(
            catalog.verify(password: "correct horse", hash: hash, salt: account.verificationSalt)
                == .match(scheme: "hex-sha256"))
    }
}
