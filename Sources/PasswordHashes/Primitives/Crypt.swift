import CXCrypt
import Foundation

/// libxcrypt's `crypt_rn`, re-entrant and thread-safe: one `crypt_data` per call.
enum SystemCrypt {
    /// The full crypt(3) output for `phrase` under `setting`, or nil when libxcrypt
    /// refuses the setting. Phrases containing NUL cannot be passed to crypt(3);
    /// they yield nil.
    static func crypt(_ phrase: [UInt8], setting: String) -> [UInt8]? {
        guard !phrase.contains(0) else { return nil }
        let size = MemoryLayout<crypt_data>.size
        let data = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        data.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        defer {
            // The work area held key material.
            data.initializeMemory(as: UInt8.self, repeating: 0, count: size)
            data.deallocate()
        }
        let result: [UInt8]? = (phrase + [0]).withUnsafeBufferPointer { phraseBuffer in
            phraseBuffer.withMemoryRebound(to: CChar.self) { phraseChars in
                guard let output = crypt_rn(phraseChars.baseAddress, setting, data, Int32(size)) else { return nil }
                return Array(UnsafeBufferPointer(start: output, count: strlen(output))).map { UInt8(bitPattern: $0) }
            }
        }
        guard let result, let first = result.first, first != UInt8(ascii: "*") else { return nil }
        return result
    }

    /// Verifies by recomputing crypt(3) with the stored hash as setting.
    static func verify(_ phrase: [UInt8], hash: String) -> Bool {
        guard let output = crypt(phrase, setting: hash) else { return false }
        return constantTimeEquals(output, Array(hash.utf8))
    }

    /// A fresh setting string (`$2b$12$…`) from libxcrypt's generator.
    static func generateSetting(prefix: String, count: Int) -> String? {
        var output = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        let random = secureRandomBytes(16)
        let result = random.withUnsafeBufferPointer { randomBytes in
            randomBytes.withMemoryRebound(to: CChar.self) { chars in
                crypt_gensalt_rn(
                    prefix, UInt(count), chars.baseAddress, Int32(chars.count), &output, Int32(output.count))
            }
        }
        guard result != nil else { return nil }
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
