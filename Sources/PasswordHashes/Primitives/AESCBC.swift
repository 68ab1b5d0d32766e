import CLibCrypto

/// AES-256-CBC with PKCS #7 padding, decryption only: how attr_encrypted
/// encrypted attributes before it moved to GCM. OpenSSL does the cipher; CBC
/// authenticates nothing, so a wrong key is found by its padding at best —
/// callers treat what comes out as untrusted text.
public enum AESCBC {
    /// The plaintext, or nil when the key, IV or padding does not fit.
    public static func decrypt(key: [UInt8], iv: [UInt8], ciphertext: [UInt8]) -> [UInt8]? {
        OpenSSLLifetime.keepUntilExit()
        guard key.count == 32, iv.count == 16, !ciphertext.isEmpty, ciphertext.count % 16 == 0,
            let context = EVP_CIPHER_CTX_new()
        else { return nil }
        defer { EVP_CIPHER_CTX_free(context) }
        guard EVP_DecryptInit_ex(context, EVP_aes_256_cbc(), nil, key, iv) == 1 else { return nil }
        var output = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var written: Int32 = 0
        var last: Int32 = 0
        guard EVP_DecryptUpdate(context, &output, &written, ciphertext, Int32(ciphertext.count)) == 1 else {
            return nil
        }
        let ok = output.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(context, buffer.baseAddress! + Int(written), &last) == 1
        }
        guard ok else { return nil }
        return Array(output.prefix(Int(written + last)))
    }
}
