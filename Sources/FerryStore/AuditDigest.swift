import Crypto

/// The audit chain's digest: lowercase hex SHA-256 (swift-crypto's, the one
/// SHA-256 the project uses).
enum AuditDigest {
    static func hex(_ data: [UInt8]) -> String {
        SHA256.hash(data: data).map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }
}
