import Crypto
import FerryConfig
import Foundation
import PasswordHashes
import Synchronization

/// MFA secrets the application encrypted at rest, decrypted in memory when a
/// user is read (`[legacy.encryption]`). Nothing decrypted is logged or kept.
struct LegacySecretDecryption: Sendable {
    let scheme: LegacySecretEncryption.Scheme
    /// Candidate AES-256 keys, tried in order: a rotated primary key, and
    /// Rails' SHA-256 and older SHA-1 key derivations.
    let keys: [SymmetricKey]

    /// Derived keys by their inputs: Rails' derivation is 65,536 PBKDF2
    /// rounds, done once per key, not once per login.
    private static let derived = Mutex<[String: [SymmetricKey]]>([:])

    init?(_ settings: LegacySecretEncryption) {
        guard let key = settings.key?.value else { return nil }
        scheme = settings.scheme
        switch settings.scheme {
        case .aes256GCM, .aes256CBC:
            guard let raw = LegacySecretEncryption.rawKey(key) else { return nil }
            keys = [SymmetricKey(data: raw)]
        case .rails:
            let salt = settings.keyDerivationSalt?.value ?? ""
            let cacheKey = Data(SHA256.hash(data: Array((key + "\u{0}" + salt).utf8))).base64EncodedString()
            if let cached = Self.derived.withLock({ $0[cacheKey] }) {
                keys = cached
            } else {
                // ActiveSupport::KeyGenerator: PBKDF2-HMAC, 2^16 iterations, 32 bytes.
                let primaries = key.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
                let made = primaries.reversed().flatMap { primary in
                    [DigestAlgorithm.sha256, .sha1].map {
                        SymmetricKey(
                            data: $0.pbkdf2(
                                password: Array(primary.utf8), salt: Array(salt.utf8), iterations: 1 << 16,
                                keyLength: 32))
                    }
                }
                Self.derived.withLock { $0[cacheKey] = made }
                keys = made
            }
        }
    }

    /// The plaintext secret, or nil when no key opens it (a wrong key, or a
    /// value in another format).
    func decrypt(_ stored: String, iv: String?) -> String? {
        let box: AES.GCM.SealedBox?
        switch scheme {
        case .rails: box = Self.railsBox(stored)
        case .aes256GCM: box = Self.attrEncryptedBox(stored, iv: iv)
        case .aes256CBC: return cbc(stored, iv: iv)
        }
        guard let box else { return nil }
        for key in keys {
            if let plain = try? AES.GCM.open(box, using: key) { return String(data: plain, encoding: .utf8) }
        }
        return nil
    }

    /// attr_encrypted's CBC mode. Nothing authenticates it: a wrong key
    /// shows as bad padding or as text that is not a TOTP secret, both
    /// refused (a base32 secret is all the canonical record takes).
    private func cbc(_ stored: String, iv: String?) -> String? {
        let clean = { (text: String) in Data(base64Encoded: text.filter { !$0.isWhitespace }) }
        guard let iv, let ivBytes = clean(iv), let bytes = clean(stored) else { return nil }
        for key in keys {
            let raw = key.withUnsafeBytes { Array($0) }
            if let plain = AESCBC.decrypt(key: raw, iv: Array(ivBytes), ciphertext: Array(bytes)),
                let text = String(bytes: plain, encoding: .utf8), !text.isEmpty,
                text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "=") })
            {
                return text
            }
        }
        return nil
    }

    /// `{"p": base64, "h": {"iv": base64, "at": base64, …}}`; compressed
    /// payloads (`"c": true`, only above 140 bytes) are not MFA secrets.
    static func railsBox(_ stored: String) -> AES.GCM.SealedBox? {
        guard let data = stored.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let payload = (object["p"] as? String).flatMap({ Data(base64Encoded: $0) }),
            let headers = object["h"] as? [String: Any], headers["c"] as? Bool != true,
            let iv = (headers["iv"] as? String).flatMap({ Data(base64Encoded: $0) }),
            let tag = (headers["at"] as? String).flatMap({ Data(base64Encoded: $0) }),
            let nonce = try? AES.GCM.Nonce(data: iv)
        else { return nil }
        return try? AES.GCM.SealedBox(nonce: nonce, ciphertext: payload, tag: tag)
    }

    /// attr_encrypted's GCM mode: base64 (Ruby's `pack('m')`, with line
    /// breaks) of ciphertext followed by the 16-byte tag; the IV beside it.
    static func attrEncryptedBox(_ stored: String, iv: String?) -> AES.GCM.SealedBox? {
        let clean = { (text: String) in Data(base64Encoded: text.filter { !$0.isWhitespace }) }
        guard let iv, let ivBytes = clean(iv), let nonce = try? AES.GCM.Nonce(data: ivBytes), let bytes = clean(stored),
            bytes.count > 16
        else { return nil }
        return try? AES.GCM.SealedBox(nonce: nonce, ciphertext: bytes.dropLast(16), tag: bytes.suffix(16))
    }
}
