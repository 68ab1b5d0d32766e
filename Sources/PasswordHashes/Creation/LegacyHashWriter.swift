/// Writes hashes in legacy formats. Ferry never stores these; the sample legacy
/// platform and tests use them to hold realistic data.
public enum LegacyHashWriter {
    /// Bare hex MD5, as many early PHP sites stored it.
    public static func md5Hex(_ password: String) -> String {
        Hex.encode(DigestAlgorithm.md5.digest(Array(password.utf8)))
    }

    /// Hex SHA-1 of salt + password, the salt kept in its own column.
    public static func saltedSHA1(_ password: String, salt: String) -> String {
        Hex.encode(DigestAlgorithm.sha1.digest(Array(salt.utf8) + Array(password.utf8)))
    }

    /// Django's `pbkdf2_sha256$<iterations>$<salt>$<base64>`.
    public static func djangoPBKDF2(_ password: String, iterations: Int = 100_000) -> String {
        let salt = Rehasher.alphanumericSalt(22)
        let key = DigestAlgorithm.sha256.pbkdf2(
            password: Array(password.utf8), salt: Array(salt.utf8), iterations: iterations, keyLength: 32)
        return "pbkdf2_sha256$\(iterations)$\(salt)$\(Base64Alphabet.standard.encode(key))"
    }

    /// PHP's `password_hash(…, PASSWORD_BCRYPT)`: bcrypt with the `$2y$` prefix.
    public static func bcrypt2y(_ password: String, cost: Int = 10) -> String? {
        guard let setting = SystemCrypt.generateSetting(prefix: "$2b$", count: cost),
            let output = SystemCrypt.crypt(Array(password.utf8), setting: setting)
        else { return nil }
        // $2y$ and $2b$ are the same algorithm; PHP writes $2y$.
        return "$2y$" + String(decoding: output.dropFirst(4), as: UTF8.self)
    }

    /// phpass portable `$P$` (WordPress before 6.8, phpBB with `$H$`).
    public static func phpass(_ password: String, log2Rounds: Int = 8) -> String {
        let salt = Array(secureRandomBytes(6).map { Crypt64.alphabet[Int($0) & 0x3f] }) + Array("ab".utf8)
        var value = DigestAlgorithm.md5.digest(salt + Array(password.utf8))
        for _ in 0..<(1 << log2Rounds) { value = DigestAlgorithm.md5.digest(value + Array(password.utf8)) }
        let setting = Array("$P$".utf8) + [Crypt64.alphabet[log2Rounds]] + salt
        return String(decoding: setting + Crypt64.encodeLinear(value, count: 16), as: UTF8.self)
    }

    /// glibc's sha512-crypt `$6$`, as /etc/shadow holds it.
    public static func sha512Crypt(_ password: String) -> String? { systemCrypt(password, prefix: "$6$") }

    /// md5-crypt `$1$`, as older /etc/shadow files and network gear hold it.
    public static func md5Crypt(_ password: String) -> String? { systemCrypt(password, prefix: "$1$") }

    private static func systemCrypt(_ password: String, prefix: String) -> String? {
        guard let setting = SystemCrypt.generateSetting(prefix: prefix, count: 0),
            let output = SystemCrypt.crypt(Array(password.utf8), setting: setting)
        else { return nil }
        return String(decoding: output, as: UTF8.self)
    }
}
