import Testing

@testable import PasswordHashes

/// `[legacy.hash] expression`: formulas as applications wrote them. Expected
/// values were computed with Python's hashlib, hmac, bcrypt and passlib.
struct HashExpressionTests {
    struct Case: CustomStringConvertible, Sendable {
        var expression: String
        var stored: String
        var password = "password"
        var salt: String? = nil
        var username: String? = nil
        var pepper = ""
        var description: String { expression }
    }

    @Test(arguments: [
        Case(expression: "md5(PASSWORD)", stored: "5f4dcc3b5aa765d61d8327deb882cf99"),
        // A stored upper-case hex digest still compares: hex carries no case.
        Case(expression: "md5(PASSWORD)", stored: "5F4DCC3B5AA765D61D8327DEB882CF99"),
        Case(expression: "md5(md5(PASSWORD) + SALT)", stored: "f24a0e9ce12069c72f77046ad708b655", salt: "abc"),
        Case(expression: "md5(md5(SALT) + md5(PASSWORD))", stored: "f669b2830403c13ca635ad0c90f1622b", salt: "abc"),
        Case(
            expression: "sha1(SALT + sha1(SALT + sha1(PASSWORD)))", stored: "3ed30d9c5d43e7f02ac60bf8e52d7714b8798adb",
            salt: "abc"),
        Case(
            expression: "'md5' + md5(PASSWORD + USERNAME)", stored: "md532e12f215ba27cb750c9e093ce4b5127",
            username: "postgres"),
        Case(
            expression: "\"*\" + upper(sha1(sha1_raw(PASSWORD)))", stored: "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"),
        Case(
            expression: "hmac_sha256(PEPPER, PASSWORD)",
            stored: "29547da9137cbdc67e97383dab75d4edb89f9ac09254ceb0456a2fddeb2ec8a3", pepper: "k"),
        Case(
            expression: "base64(sha1_raw(utf16le(SALT + PASSWORD)))", stored: "kQlo3VelewRDYEN4iCOza1Nob08=",
            password: "pässword", salt: "salt"),
        Case(
            expression: "base64(sha1_raw(SALT + latin1(PASSWORD)))", stored: "gR+lQeHvP1B5uIT1KQXrxarJgUI=",
            password: "pässword", salt: "salt"),
        Case(
            expression: "hex(pbkdf2_sha256(PASSWORD, SALT, iterations=2, length=32))",
            stored: "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43", salt: "salt"),
        Case(
            expression: "bcrypt(PASSWORD + PEPPER)",
            stored: "$2b$04$abcdefghijklmnopqrstuuaRnO1jHvHXiB7bB/Qat.1ACZxMbXW3.",
            pepper: "PEPPER"),
        Case(
            expression: "stored(PASSWORD + PEPPER)",
            stored: "$2b$04$abcdefghijklmnopqrstuuaRnO1jHvHXiB7bB/Qat.1ACZxMbXW3.",
            pepper: "PEPPER"),
    ])
    func formulaMatchesTheApplicationsHash(_ test: Case) throws {
        let expression = try HashExpression(parsing: test.expression)
        let catalog = HashCatalog(expression: ExpressionFormat(expression: expression, pepper: Array(test.pepper.utf8)))
        let parsed = try catalog.parse(test.stored, salt: test.salt, username: test.username)
        #expect(parsed.verify(Array(test.password.utf8)))
        #expect(!parsed.verify(Array("X\(test.password)".utf8)))
        if let username = test.username {
            let other = try catalog.parse(test.stored, salt: test.salt, username: username + "x")
            #expect(!other.verify(Array(test.password.utf8)))
        }
    }

    @Test(
        arguments: [
            ("", 1, "expected a value"),
            ("md5(PASSWORD", 13, "expected , or )"),
            ("md6(PASSWORD)", 1, "unknown function md6"),
            ("md5(PASWORD)", 5, "unknown input PASWORD"),
            ("md5(SALT)", 1, "never reads PASSWORD"),
            ("md5(PASSWORD) SALT", 15, "join parts with +"),
            ("md5(PASSWORD, SALT)", 1, "md5 takes 1 value(s)"),
            ("hmac_sha1(PASSWORD)", 1, "hmac_sha1 takes 2 value(s): hmac_sha1(key, message)"),
            ("pbkdf2_sha256(PASSWORD, SALT)", 1, "needs iterations=…"),
            ("pbkdf2_sha256(PASSWORD, SALT, iterations=0, length=32)", 42, "iterations=0 is outside"),
            ("pbkdf2_sha256(PASSWORD, SALT, rounds=5, length=32)", 31, "has no option rounds"),
            ("md5(PASSWORD, n=3)", 15, "md5 takes no options"),
            ("scrypt(PASSWORD, n=2, r=1, p=1, length=32, SALT)", 44, "values come before options"),
            ("md5('abc + PASSWORD)", 5, "string never closed"),
            ("md5('a\\b' + PASSWORD)", 8, "are escapes"),
            ("md5(bcrypt(PASSWORD))", 1, "must be the whole expression"),
            ("md5(PASSWORD) + bcrypt(PASSWORD)", 1, "must be the whole expression"),
            ("md5 + PASSWORD", 1, "md5 needs its arguments in parentheses"),
            ("md5(PASSWORD) + ü", 17, "non-printing or non-ASCII"),
            (
                String(repeating: "md5(", count: 40) + "PASSWORD" + String(repeating: ")", count: 40), 129,
                "nested deeper"
            ),
        ] as [(String, Int, String)])
    func badFormulasSayWhereAndWhat(_ text: String, _ position: Int, _ fragment: String) {
        #expect(throws: HashExpressionError.self) { try HashExpression(parsing: text) }
        do {
            _ = try HashExpression(parsing: text)
        } catch {
            #expect(error.description.contains(fragment), "\(text): \(error)")
            #expect(error.position == position, "\(text): \(error)")
        }
    }

    @Test func costsAreCheckedAgainstTheLimits() throws {
        var limits = CostLimits()
        limits.maxIterations = 1000
        let pbkdf2 = try HashExpression(parsing: "hex(pbkdf2_sha1(PASSWORD, SALT, iterations=5000, length=20))")
        #expect(throws: HashError.self) { try pbkdf2.checkCosts(limits) }
        let argon2 = try HashExpression(parsing: "base64(argon2id(PASSWORD, SALT, m=1048576, t=3, p=1, length=32))")
        #expect(throws: HashError.self) { try argon2.checkCosts(CostLimits()) }
        let scrypt = try HashExpression(parsing: "hex(scrypt(PASSWORD, SALT, n=1000, r=8, p=1, length=32))")
        #expect(throws: HashError.self) { try scrypt.checkCosts(CostLimits()) }  // N not a power of two
        // The catalog refuses such rows too, before any work.
        let catalog = HashCatalog(limits: limits, expression: ExpressionFormat(expression: pbkdf2))
        #expect(throws: HashError.self) { try catalog.parse("00", salt: "s") }
    }

    /// A peppered bcrypt looks self-describing; with `rows = all` (the default)
    /// the formula still wins, with `unrecognized` the bcrypt reads as itself.
    @Test func whichRowsTheFormulaDescribes() throws {
        let hash = "$2b$04$abcdefghijklmnopqrstuuaRnO1jHvHXiB7bB/Qat.1ACZxMbXW3."
        let expression = try HashExpression(parsing: "bcrypt(PASSWORD + PEPPER)")
        let all = HashCatalog(expression: ExpressionFormat(expression: expression, pepper: Array("PEPPER".utf8)))
        #expect(all.verify(password: "password", hash: hash) == .match(scheme: "expression-bcrypt"))
        let md5 = try HashExpression(parsing: "md5(md5(PASSWORD) + SALT)")
        let mixed = HashCatalog(expression: ExpressionFormat(expression: md5, rows: .unrecognized))
        #expect(mixed.verify(password: "passwordPEPPER", hash: hash) == .match(scheme: "bcrypt"))
        #expect(
            mixed.verify(password: "password", hash: "f24a0e9ce12069c72f77046ad708b655", salt: "abc")
                == .match(scheme: "expression"))
        // bcrypt() over a hash that is not bcrypt is malformed, not a mismatch.
        guard case .error(.malformed) = all.verify(password: "password", hash: "5f4dcc3b5aa765d61d8327deb882cf99")
        else {
            Issue.record("expected malformed")
            return
        }
    }

    /// Steps that cannot be taken for a row's inputs are a mismatch, never a crash.
    @Test func impossibleStepsAreMismatches() throws {
        let unhex = try HashExpression(parsing: "md5(unhex(SALT) + PASSWORD)")
        let catalog = HashCatalog(expression: ExpressionFormat(expression: unhex))
        #expect(
            catalog.verify(password: "p", hash: "5f4dcc3b5aa765d61d8327deb882cf99", salt: "zz")
                == .mismatch(scheme: "expression"))
        let latin1 = try HashExpression(parsing: "md5(latin1(PASSWORD))")
        let other = HashCatalog(expression: ExpressionFormat(expression: latin1))
        #expect(
            other.verify(password: "✓", hash: "5f4dcc3b5aa765d61d8327deb882cf99") == .mismatch(scheme: "expression"))
    }

    @Test func parametersShowTheFormulaNeverThePepper() throws {
        let expression = try HashExpression(parsing: "hmac_sha256(PEPPER, PASSWORD)")
        let catalog = HashCatalog(
            expression: ExpressionFormat(expression: expression, pepper: Array("secret-pepper".utf8)))
        let parsed = try catalog.parse("29547da9137cbdc67e97383dab75d4edb89f9ac09254ceb0456a2fddeb2ec8a3")
        #expect(parsed.parameters.map(\.value) == ["hmac_sha256(PEPPER, PASSWORD)"])
    }

    @Test(arguments: [
        ("ffffffff", "FFFFFFFF", "FFFFFFFF"), ("abc", "ABC", "ABC"), ("abcd", "xyz!", "abcd"), ("a1b2", "A1b2", "A1b2"),
    ])
    func hexCaseFolding(_ value: String, _ stored: String, _ expected: String) {
        #expect(ExpressionHash.foldingHexCase(Array(value.utf8), like: Array(stored.utf8)) == Array(expected.utf8))
    }
}
