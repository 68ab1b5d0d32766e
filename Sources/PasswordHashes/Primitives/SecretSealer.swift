import CLibCrypto

/// AES-256-GCM for secrets that wait in Ferry's outbox (new password hashes,
/// TOTP secrets, recovery codes). Sealed form: 12-byte nonce ‖ ciphertext ‖
/// 16-byte tag. The associated data (the job's identifier) binds a sealed
/// payload to its row, so it cannot be moved to another user.
public struct SecretSealer: Sendable {
    public enum SealError: Error, Equatable, Sendable {
        case invalidKey
        /// Wrong key, wrong associated data, or altered bytes.
        case authenticationFailed
    }

    private let key: [UInt8]

    public init(key: [UInt8]) throws(SealError) {
        guard key.count == 32 else { throw .invalidKey }
        OpenSSLLifetime.keepUntilExit()
        self.key = key
    }

    public func seal(_ plaintext: [UInt8], associatedData: [UInt8] = []) -> [UInt8] {
        seal(plaintext, associatedData: associatedData, nonce: secureRandomBytes(12))
    }

    func seal(_ plaintext: [UInt8], associatedData: [UInt8], nonce: [UInt8]) -> [UInt8] {
        let context = EVP_CIPHER_CTX_new()
        defer { EVP_CIPHER_CTX_free(context) }
        EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce)
        var length: Int32 = 0
        if !associatedData.isEmpty {
            EVP_EncryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count))
        }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var written: Int32 = 0
        if !plaintext.isEmpty {
            EVP_EncryptUpdate(context, &ciphertext, &written, plaintext, Int32(plaintext.count))
        }
        var final: Int32 = 0
        ciphertext.withUnsafeMutableBufferPointer { buffer in
            _ = EVP_EncryptFinal_ex(context, buffer.baseAddress! + Int(written), &final)
        }
        var tag = [UInt8](repeating: 0, count: 16)
        EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, 16, &tag)
        return nonce + ciphertext.prefix(Int(written + final)) + tag
    }

    public func open(_ sealed: [UInt8], associatedData: [UInt8] = []) throws(SealError) -> [UInt8] {
        guard sealed.count >= 28 else { throw .authenticationFailed }
        let nonce = Array(sealed.prefix(12))
        let ciphertext = Array(sealed.dropFirst(12).dropLast(16))
        var tag = Array(sealed.suffix(16))
        let context = EVP_CIPHER_CTX_new()
        defer { EVP_CIPHER_CTX_free(context) }
        EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce)
        var length: Int32 = 0
        if !associatedData.isEmpty {
            EVP_DecryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count))
        }
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var written: Int32 = 0
        if !ciphertext.isEmpty {
            EVP_DecryptUpdate(context, &plaintext, &written, ciphertext, Int32(ciphertext.count))
        }
        EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, 16, &tag)
        var final: Int32 = 0
        let ok = plaintext.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(context, buffer.baseAddress! + Int(written), &final)
        }
        guard ok == 1 else { throw .authenticationFailed }
        return Array(plaintext.prefix(Int(written + final)))
    }
}
