import PasswordHashes
import Testing

@testable import FerryConfig

/// `[legacy.hash] expression`: read, checked against the limits and the
/// pepper, and kept apart from the digest keys.
struct HashExpressionConfigTests {
    let base = """
        [server]
        listen = "127.0.0.1:0"
        [legacy]
        database = "sqlite:///tmp/x.db"
        user_query = "SELECT id AS legacy_id, password AS password_hash, salt FROM u WHERE username = :identifier"
        """

    @Test func aFormulaIsReadWithItsRows() throws {
        let text = base + "\n[legacy.hash]\nexpression = \"md5(md5(PASSWORD) + SALT)\"\nrows = \"unrecognized\""
        let config = try ProxyConfig.parse(text, file: "proxy.conf", baseDirectory: "/etc/ferry")
        #expect(config.legacy?.hashFormat?.expression?.source == "md5(md5(PASSWORD) + SALT)")
        #expect(config.legacy?.hashFormat?.rows == .unrecognized)
    }

    @Test(arguments: [
        (
            "expression = \"md5(md5(PASSWORD) + SALT\"",
            "proxy.conf:7: key `legacy.hash.expression` at character 25: expected , or ) in the arguments of md5"
        ),
        (
            "expression = \"bcrypt(PASSWORD + PEPPER)\"",
            "proxy.conf:7: key `legacy.hash.expression` reads PEPPER; set `pepper_file` or `pepper_env`"
        ),
        (
            "expression = \"md5(PASSWORD)\"\ndigest = \"md5\"",
            "proxy.conf:8: key `legacy.hash.digest` does not apply with `expression`, which spells out the whole formula"
        ),
        (
            "expression = \"hex(pbkdf2_sha1(PASSWORD, SALT, iterations=9000000, length=20))\"",
            "proxy.conf:7: key `legacy.hash.expression` expression parameters over limit: iterations 9000000 exceeds the limit of 5000000 (raise [legacy.limits] if the application really used it)"
        ),
        (
            "rows = \"all\"",
            "proxy.conf:7: key `legacy.hash.rows` only applies with `expression`"
        ),
        (
            "salt_position = \"suffix\"",
            "proxy.conf:6: key `legacy.hash.digest` is required (or describe the whole formula with `expression`)"
        ),
    ])
    func mistakesAreNamed(_ table: String, _ expected: String) {
        #expect(
            issues(base + "\n[legacy.hash]\n" + table).contains(expected),
            "\(issues(base + "\n[legacy.hash]\n" + table))")
    }

    @Test func theLimitsTableAppliesWhereverItIsWritten() {
        let text =
            base
            + "\n[legacy.hash]\nexpression = \"hex(pbkdf2_sha1(PASSWORD, SALT, iterations=9000000, length=20))\"\n[legacy.limits]\nmax_iterations = 10000000"
        #expect(issues(text) == [])
    }
}
