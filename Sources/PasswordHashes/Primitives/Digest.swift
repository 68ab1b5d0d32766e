import CLibCrypto

/// The message digests legacy stores use, backed by OpenSSL's libcrypto.
public enum DigestAlgorithm: String, CaseIterable, Sendable {
    case md5, sha1, sha224, sha256, sha384, sha512

    var evp: OpaquePointer {
        OpenSSLLifetime.keepUntilExit()
        switch self {
        case .md5: return EVP_md5()
        case .sha1: return EVP_sha1()
        case .sha224: return EVP_sha224()
        case .sha256: return EVP_sha256()
        case .sha384: return EVP_sha384()
        case .sha512: return EVP_sha512()
        }
    }

    public var byteCount: Int {
        switch self {
        case .md5: return 16
        case .sha1: return 20
        case .sha224: return 28
        case .sha256: return 32
        case .sha384: return 48
        case .sha512: return 64
        }
    }

    public func digest(_ data: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let ok = data.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &output, &length, evp, nil)
        }
        precondition(ok == 1, "EVP_Digest failed")
        return output
    }

    public func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        key.withUnsafeBytes { keyBytes in
            data.withUnsafeBytes { input in
                _ = HMAC(
                    evp, keyBytes.baseAddress, Int32(keyBytes.count),
                    input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count, &output, &length)
            }
        }
        return output
    }

    /// PBKDF2 (RFC 8018) with HMAC over this digest.
    public func pbkdf2(password: [UInt8], salt: [UInt8], iterations: Int, keyLength: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: keyLength)
        let ok = password.withUnsafeBytes { pass in
            salt.withUnsafeBytes { saltBytes in
                PKCS5_PBKDF2_HMAC(
                    pass.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(pass.count),
                    saltBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(saltBytes.count),
                    Int32(iterations), evp, Int32(keyLength), &output)
            }
        }
        precondition(ok == 1, "PKCS5_PBKDF2_HMAC failed")
        return output
    }

    /// An incremental digest for schemes that feed many small pieces (md5-crypt, phpass).
    final class Context {
        private let context: OpaquePointer
        private let algorithm: DigestAlgorithm

        init(_ algorithm: DigestAlgorithm) {
            self.algorithm = algorithm
            context = EVP_MD_CTX_new()
            EVP_DigestInit_ex(context, algorithm.evp, nil)
        }

        deinit { EVP_MD_CTX_free(context) }

        func update(_ data: [UInt8]) {
            data.withUnsafeBytes { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        }

        func update<S: Sequence>(_ data: S) where S.Element == UInt8 { update(Array(data)) }

        func finish() -> [UInt8] {
            var output = [UInt8](repeating: 0, count: algorithm.byteCount)
            var length: UInt32 = 0
            EVP_DigestFinal_ex(context, &output, &length)
            EVP_DigestInit_ex(context, algorithm.evp, nil)
            return output
        }
    }
}

/// scrypt (RFC 7914) via OpenSSL. Returns nil when OpenSSL refuses the parameters.
func scryptDerive(password: [UInt8], salt: [UInt8], n: UInt64, r: UInt64, p: UInt64, keyLength: Int) -> [UInt8]? {
    OpenSSLLifetime.keepUntilExit()
    var output = [UInt8](repeating: 0, count: keyLength)
    // OpenSSL checks memory against maxmem; the caller has already applied Ferry's own limit.
    let memory = 128 * r * (n + p + 2) + (1 << 20)
    let ok = password.withUnsafeBytes { pass in
        salt.withUnsafeBytes { saltBytes in
            EVP_PBE_scrypt(
                pass.baseAddress?.assumingMemoryBound(to: CChar.self), pass.count,
                saltBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), saltBytes.count,
                n, r, p, memory, &output, keyLength)
        }
    }
    return ok == 1 ? output : nil
}

/// AES-256-CTR with a zero IV, as Firebase's modified scrypt uses it.
func aes256CTR(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
    precondition(key.count == 32)
    OpenSSLLifetime.keepUntilExit()
    let context = EVP_CIPHER_CTX_new()
    defer { EVP_CIPHER_CTX_free(context) }
    let iv = [UInt8](repeating: 0, count: 16)
    EVP_EncryptInit_ex(context, EVP_aes_256_ctr(), nil, key, iv)
    var output = [UInt8](repeating: 0, count: data.count + 16)
    var length: Int32 = 0
    EVP_EncryptUpdate(context, &output, &length, data, Int32(data.count))
    var finalLength: Int32 = 0
    EVP_EncryptFinal_ex(context, &output[Int(length)], &finalLength)
    return Array(output[0..<Int(length + finalLength)])
}

/// Compares derived keys in time that depends only on their length.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 }
    }
}

/// Cryptographically secure random bytes for salts.
public func secureRandomBytes(_ count: Int) -> [UInt8] {
    OpenSSLLifetime.keepUntilExit()
    var bytes = [UInt8](repeating: 0, count: count)
    precondition(RAND_bytes(&bytes, Int32(count)) == 1, "RAND_bytes failed")
    return bytes
}
