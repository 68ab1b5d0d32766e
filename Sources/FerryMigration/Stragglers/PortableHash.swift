import FerryConfig
import Foundation
import PasswordHashes

/// A legacy hash taken apart into what other platforms' import formats are
/// built from. Pure: reading never verifies anything.
public enum PortableHash: Equatable, Sendable {
    /// `$2a$`/`$2b$`/`$2y$` modular crypt string.
    case bcrypt(String, cost: Int)
    /// PHC string `$argon2id$…` (or argon2i / argon2d).
    case argon2(String, variant: String)
    /// One pass of md5 / sha1 / sha256 / sha512 over salt and password.
    case digest(Digest, hash: [UInt8], salt: [UInt8]?, saltFirst: Bool)
    case pbkdf2(Digest, iterations: Int, salt: [UInt8], key: [UInt8])
    /// crypt(3) `$1$`, `$5$`, `$6$` strings.
    case crypt(String, kind: CryptKind)
    /// Nothing another platform can take (phpass, yescrypt, iterated or
    /// peppered digests, …): the user needs a reset there.
    case notPortable

    /// The digests other platforms' import formats accept: a subset of
    /// `DigestAlgorithm`, so that every case has a name in each format.
    public enum Digest: String, Sendable {
        case md5, sha1, sha256, sha512

        /// nil for the digests no import format takes (sha224, sha384).
        init?(_ algorithm: DigestAlgorithm) {
            switch algorithm {
            case .md5: self = .md5
            case .sha1: self = .sha1
            case .sha256: self = .sha256
            case .sha512: self = .sha512
            case .sha224, .sha384: return nil
            }
        }
    }

    public enum CryptKind: String, Sendable {
        case md5, sha256, sha512
    }

    /// Reads `hash` (with the salt column and `[legacy.hash]` for bare digests;
    /// `scheme` is the catalog's id for it).
    public static func read(hash: String, salt: String?, scheme: String, configured: ConfiguredHashFormat?)
        -> PortableHash
    {
        // A formula's pepper or pre-hash is in Ferry's config, not in the hash:
        // a peppered bcrypt handed to another platform as plain bcrypt would
        // never match.
        if scheme.hasPrefix("expression") { return .notPortable }
        if hash.hasPrefix("$2a$") || hash.hasPrefix("$2b$") || hash.hasPrefix("$2y$"), hash.count == 60,
            let cost = Int(hash.dropFirst(4).prefix(2))
        {
            return .bcrypt(hash, cost: cost)
        }
        for variant in ["argon2id", "argon2i", "argon2d"] where hash.hasPrefix("$\(variant)$") {
            return .argon2(hash, variant: variant)
        }
        for (prefix, kind) in [("$1$", CryptKind.md5), ("$5$", .sha256), ("$6$", .sha512)] where hash.hasPrefix(prefix)
        {
            return .crypt(hash, kind: kind)
        }
        if hash.hasPrefix("pbkdf2_sha256$") || hash.hasPrefix("pbkdf2_sha1$") {
            // Django: algorithm$iterations$salt$base64(key); the salt is text.
            let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
            guard parts.count == 4, let iterations = Int(parts[1]), let key = Data(base64Encoded: String(parts[3]))
            else { return .notPortable }
            return .pbkdf2(
                parts[0] == "pbkdf2_sha1" ? .sha1 : .sha256, iterations: iterations, salt: Array(parts[2].utf8),
                key: Array(key))
        }
        if let ldap = ldap(hash) { return ldap }
        if scheme.hasPrefix("hex-"), let bytes = Hex.decode(hash), let digest = digest(byteCount: bytes.count) {
            return .digest(digest, hash: bytes, salt: nil, saltFirst: true)
        }
        if scheme.hasPrefix("configured-"), let configured { return digest(hash, salt: salt, configured) }
        return .notPortable
    }

    private static func digest(byteCount: Int) -> Digest? {
        [16: Digest.md5, 20: .sha1, 32: .sha256, 64: .sha512][byteCount]
    }

    /// `{SHA}`, `{SSHA}`, `{SHA256}`, `{SSHA256}`, `{SHA512}`, `{SSHA512}`:
    /// base64 of the digest, then (salted) the salt, over password + salt.
    private static func ldap(_ hash: String) -> PortableHash? {
        let tags: [(tag: String, digest: Digest, salted: Bool)] = [
            ("{SSHA512}", .sha512, true), ("{SSHA256}", .sha256, true), ("{SSHA}", .sha1, true),
            ("{SHA512}", .sha512, false), ("{SHA256}", .sha256, false), ("{SHA}", .sha1, false),
            ("{SMD5}", .md5, true), ("{MD5}", .md5, false),
        ]
        guard let (tag, digest, salted) = tags.first(where: { hash.uppercased().hasPrefix($0.tag) }) else {
            return nil
        }
        guard let bytes = Data(base64Encoded: String(hash.dropFirst(tag.count))).map(Array.init) else {
            return .notPortable
        }
        let length = [Digest.md5: 16, .sha1: 20, .sha256: 32, .sha512: 64][digest]!
        guard salted ? bytes.count > length : bytes.count == length else { return .notPortable }
        return .digest(
            digest, hash: Array(bytes[0..<length]), salt: salted ? Array(bytes[length...]) : nil, saltFirst: false)
    }

    private static func digest(_ hash: String, salt: String?, _ format: ConfiguredHashFormat) -> PortableHash {
        guard format.iterations == 1, format.pepper == nil, format.passwordEncoding == .utf8,
            format.saltPosition != .template, let digest = Digest(format.digest)
        else { return .notPortable }
        func decode(_ text: String, _ encoding: ConfiguredDigestFormat.BinaryEncoding) -> [UInt8]? {
            switch encoding {
            case .hex: return Hex.decode(text)
            case .base64: return Data(base64Encoded: text).map(Array.init)
            case .utf8: return Array(text.utf8)
            }
        }
        guard let bytes = decode(hash, format.hashEncoding) else { return .notPortable }
        let saltBytes = salt.flatMap { decode($0, format.saltEncoding) }
        return .digest(digest, hash: bytes, salt: saltBytes, saltFirst: format.saltPosition == .prefix)
    }
}
