import Crypto
import Foundation
import _CryptoExtras

/// The legacy platform's token-signing public keys (a JWKS document), which
/// decide whether a JWT a request carries was issued by legacy.
///
/// Unverified claims may steer a request (the platform that receives the token
/// verifies it), but they must not be written down: anyone can mint an
/// unsigned token with `exp` in the year 506713 and hold the drain report open.
/// So a token counts as a legacy session only when its signature verifies
/// here. Supported: RS256/384/512 (RSA), ES256/ES384 (P-256, P-384), EdDSA
/// (Ed25519). `none` and HMAC tokens never verify.
public struct LegacyTokenKeys: Sendable {
    enum Key: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    struct Entry: Sendable {
        var id: String?
        var key: Key
    }

    let entries: [Entry]

    /// Problems with one key of the document; the other keys still load.
    public let skipped: [String]

    /// Reads a JWKS document (`{"keys": [...]}`). Throws when it is not one, or
    /// holds no key Ferry can use.
    public init(jwks data: Data) throws(LegacyTokenKeysError) {
        guard let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let keys = document["keys"] as? [[String: Any]]
        else { throw LegacyTokenKeysError("is not a JWKS document (an object with a \"keys\" array)") }
        var entries: [Entry] = []
        var skipped: [String] = []
        for (index, jwk) in keys.enumerated() {
            if let use = jwk["use"] as? String, use != "sig" { continue }
            do {
                entries.append(Entry(id: jwk["kid"] as? String, key: try Self.key(jwk)))
            } catch {
                skipped.append("key \(index): \(error.message)")
            }
        }
        guard !entries.isEmpty else {
            throw LegacyTokenKeysError(
                "holds no usable signing key" + (skipped.isEmpty ? "" : " (\(skipped.joined(separator: "; ")))"))
        }
        self.entries = entries
        self.skipped = skipped
    }

    private static func key(_ jwk: [String: Any]) throws(LegacyTokenKeysError) -> Key {
        func bytes(_ name: String) throws(LegacyTokenKeysError) -> Data {
            guard let text = jwk[name] as? String, let data = Base64URL.decode(text) else {
                throw LegacyTokenKeysError("`\(name)` is missing or not base64url")
            }
            return data
        }
        do {
            switch (jwk["kty"] as? String, jwk["crv"] as? String) {
            case ("RSA", _):
                return .rsa(try _RSA.Signing.PublicKey(n: try bytes("n"), e: try bytes("e")))
            case ("EC", "P-256"):
                return .p256(try P256.Signing.PublicKey(rawRepresentation: try bytes("x") + bytes("y")))
            case ("EC", "P-384"):
                return .p384(try P384.Signing.PublicKey(rawRepresentation: try bytes("x") + bytes("y")))
            case ("OKP", "Ed25519"):
                return .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: try bytes("x")))
            case (let kty, let crv):
                throw LegacyTokenKeysError("unsupported key type \(kty ?? "none")\(crv.map { "/\($0)" } ?? "")")
            }
        } catch let error as LegacyTokenKeysError {
            throw error
        } catch {
            throw LegacyTokenKeysError("not a valid public key")
        }
    }

    /// True when `token` is a compact JWS whose signature verifies with one of
    /// the keys (the one named by its `kid`, if any), for the algorithm its
    /// header names.
    public func verifies(_ token: String) -> Bool {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= 16_384,
            let headerData = Base64URL.decode(String(parts[0])),
            let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
            let algorithm = header["alg"] as? String,
            let signature = Base64URL.decode(String(parts[2]))
        else { return false }
        let signed = Data((parts[0] + "." + parts[1]).utf8)
        let keyID = header["kid"] as? String
        return entries.contains { entry in
            if let keyID, let id = entry.id, keyID != id { return false }
            return Self.verify(signature, of: signed, algorithm: algorithm, with: entry.key)
        }
    }

    /// False when `token`'s header names a key id (`kid`) this set does not
    /// hold: legacy has probably rotated its key since the set was read.
    public func holdsKey(for token: String) -> Bool {
        guard let headerPart = token.split(separator: ".", maxSplits: 1).first, headerPart.utf8.count <= 4096,
            let headerData = Base64URL.decode(String(headerPart)),
            let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
            let keyID = header["kid"] as? String
        else { return true }
        return entries.contains { $0.id == nil || $0.id == keyID }
    }

    private static func verify(_ signature: Data, of signed: Data, algorithm: String, with key: Key) -> Bool {
        switch (algorithm, key) {
        case ("RS256", .rsa(let key)):
            return key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: signed),
                padding: .insecurePKCS1v1_5)
        case ("RS384", .rsa(let key)):
            return key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA384.hash(data: signed),
                padding: .insecurePKCS1v1_5)
        case ("RS512", .rsa(let key)):
            return key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA512.hash(data: signed),
                padding: .insecurePKCS1v1_5)
        case ("ES256", .p256(let key)):
            guard let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(signature, for: signed)
        case ("ES384", .p384(let key)):
            guard let signature = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(signature, for: signed)
        case ("EdDSA", .ed25519(let key)):
            return key.isValidSignature(signature, for: signed)
        default:
            return false
        }
    }
}

public struct LegacyTokenKeysError: Error, Equatable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// RFC 4648 §5, without padding, as JOSE writes it.
enum Base64URL {
    static func decode(_ text: String) -> Data? {
        guard !text.contains("=") || text.hasSuffix("=") else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
