import CArgon2

/// Argon2 (RFC 9106) through the reference implementation, libargon2.
public enum Argon2Variant: String, CaseIterable, Sendable {
    case argon2d, argon2i, argon2id

    var type: argon2_type {
        switch self {
        case .argon2d: return Argon2_d
        case .argon2i: return Argon2_i
        case .argon2id: return Argon2_id
        }
    }
}

struct Argon2Parameters: Equatable, Sendable {
    var variant: Argon2Variant
    /// 0x10 or 0x13.
    var version: UInt32
    var memoryKiB: UInt32
    var iterations: UInt32
    var parallelism: UInt32

    /// The raw tag for `password`, or nil when libargon2 rejects the inputs.
    func derive(password: [UInt8], salt: [UInt8], length: Int) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: length)
        let status = password.withUnsafeBytes { pass in
            salt.withUnsafeBytes { saltBytes in
                argon2_hash(
                    iterations, memoryKiB, parallelism, pass.baseAddress, pass.count, saltBytes.baseAddress,
                    saltBytes.count, &output, length, nil, 0, variant.type, version)
            }
        }
        return status == Int32(ARGON2_OK.rawValue) ? output : nil
    }

    /// The full RFC 9106 function, with the optional secret and associated data
    /// that the encoded formats never carry (needed for the RFC's test vectors).
    func derive(password: [UInt8], salt: [UInt8], secret: [UInt8], associatedData: [UInt8], length: Int) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: length)
        var password = password
        var salt = salt
        var secret = secret
        var associatedData = associatedData
        let status = output.withUnsafeMutableBufferPointer { out in
            password.withUnsafeMutableBufferPointer { pwd in
                salt.withUnsafeMutableBufferPointer { saltBuffer in
                    secret.withUnsafeMutableBufferPointer { secretBuffer in
                        associatedData.withUnsafeMutableBufferPointer { ad in
                            var context = argon2_context(
                                out: out.baseAddress, outlen: UInt32(length), pwd: pwd.baseAddress,
                                pwdlen: UInt32(pwd.count), salt: saltBuffer.baseAddress,
                                saltlen: UInt32(saltBuffer.count),
                                secret: secretBuffer.baseAddress, secretlen: UInt32(secretBuffer.count),
                                ad: ad.baseAddress, adlen: UInt32(ad.count), t_cost: iterations, m_cost: memoryKiB,
                                lanes: parallelism, threads: parallelism, version: version, allocate_cbk: nil,
                                free_cbk: nil, flags: 0)  // ARGON2_DEFAULT_FLAGS, a macro Swift does not import
                            return argon2_ctx(&context, variant.type)
                        }
                    }
                }
            }
        }
        return status == Int32(ARGON2_OK.rawValue) ? output : nil
    }
}
