import Foundation

/// The 32 bytes of an AES-256 key, decoded from the hex or base64 text of a secret.
public struct EncryptionKey: Equatable, Sendable {
    public let bytes: [UInt8]

    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.count == 64, trimmed.allSatisfy(\.isHexDigit) {
            var bytes: [UInt8] = []
            var index = trimmed.startIndex
            while index < trimmed.endIndex {
                let next = trimmed.index(index, offsetBy: 2)
                bytes.append(UInt8(trimmed[index..<next], radix: 16)!)
                index = next
            }
            self.bytes = bytes
        } else if let data = Data(base64Encoded: trimmed), data.count == 32 {
            bytes = Array(data)
        } else {
            return nil
        }
    }
}
