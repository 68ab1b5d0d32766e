import FerryTestSupport
import Testing

@testable import PasswordHashes

/// Bad input gets a clear error and never a crash.
struct MalformedInputTests {
    let catalog = HashCatalog()

    @Test(arguments: [
        ("", "unsupported"),
        ("not a hash", "unsupported"),
        ("$2b$12$short", "malformed"),
        ("$2b$xx$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "malformed"),
        ("$2b$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "malformed"),
        ("$2b$12$CCCCCCCCCCCCCCCCCCCCC!E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "malformed"),
        ("$6$rounds=abc$salt$xyz", "malformed"),
        ("$6$salt$tooshort", "malformed"),
        ("$1$saltsaltsalt$YMyguxXMBpd2TEZ.vS/3q1", "malformed"),
        ("$y$$$", "malformed"),
        ("$7$", "malformed"),
        ("$pbkdf2-sha256$notanumber$salt$key", "malformed"),
        ("$pbkdf2-sha256$1000$!!!$key", "malformed"),
        ("$pbkdf2-md4$1000$c2FsdA$a2V5", "unsupported"),
        ("$pbkdf2-sha256$i=abc,l=32$c2FsdA$a2V5", "malformed"),
        ("pbkdf2_sha256$x$salt$key", "malformed"),
        ("pbkdf2:sha256$salt$abcd", "malformed"),
        ("pbkdf2:sha999:1000$salt$abcd", "malformed"),
        ("{PKCS5S2}c2hvcnQ=", "malformed"),
        ("{pbkdf2}0011", "malformed"),
        ("$scrypt$ln=16,r=8$c2FsdA$a2V5", "malformed"),
        ("$scrypt$ln=16,r=8,p=1,ln=3$c2FsdA$a2V5", "malformed"),
        ("scrypt$16383$salt$8$1$a2V5", "malformed"),
        ("$firescrypt$ln=14,r=8,p=1$%%%$a$b$c", "malformed"),
        ("$argon2id$v=19$m=65536,t=3$c2FsdHNhbHQ$aGFzaGhhc2g", "malformed"),
        ("$argon2id$v=20$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g", "malformed"),
        ("$argon2id$v=19$m=4,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g", "malformed"),
        ("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaGhhc2g", "malformed"),
        ("$argon2x$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g", "unsupported"),
        // PHC base64 is unpadded: the reference library refuses these.
        ("$argon2i$v=19$m=512,t=2,p=2$aI2R0hpDyLm3ltLa+1/rvQ==$LqPKjd6n8yniKtAithoR7A", "malformed"),
        ("$argon2i$v=19$m=512,t=2,p=2$aI2R0hpDyLm3ltLa+1/rvQ$LqPKjd6n8yniKtAithoR7A==", "malformed"),
        ("$argon2i$v=19$m=512,t=2,p=2$aI2R0hpDyLm3ltLa+1/rvQ$LqPKjd6n8yniKtAithoR7A=", "malformed"),
        ("{SSHA}AAAA", "malformed"),
        ("{CRYPT}nothing-crypt-like", "malformed"),
        ("$P$Xsaltsalt1234567890123456789012", "malformed"),
        ("$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L", "malformed"),
        ("sha1$salt$nothex", "malformed"),
        ("crypt$$not-des", "malformed"),
        ("$apr1$salt$short", "malformed"),
        ("$bcrypt-sha256$v=2,t=2b$salt$digest", "malformed"),
        ("*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E1", "malformed"),
        ("$sha1$abc$Wq3GL2Vp$C8U25GvfHS8qGHimExLaiSFlGkAe", "malformed"),
        ("$sha1$1$Wq3GL2Vp$short", "malformed"),
        ("$md5,rounds=x$bX3kpM8B$$4lvjuxCx9EQBfFUnKBwJ0/", "malformed"),
        ("$md5$bX3kpM8B$$$$4lvjuxCx9EQBfFUnKBwJ0/", "malformed"),
        ("$md5,rounds=99999999999999999999$bX3kpM8B$$4lvjuxCx9EQBfFUnKBwJ0/", "malformed"),
        ("$8$TnGX/fE4KGHOVU$!!hnEvxrvaynpi8j4f.EMHr6M.FzU8xnZnBr/tJdFWk", "malformed"),
        ("$9$short$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6", "malformed"),
        ("SCRAM-SHA-256$4096:c2FsdA==$a2V5", "malformed"),
        ("$mysql$A$005*F9CC98CE*625479", "malformed"),
        (
            "$mysql$A$000*F9CC98CE08892924F50A213B6BC571A2C11778C5*625479393559393965414D45316477456B484F41316E64484742577A2E3162785353526B7554584647562F",
            "malformed"
        ),
        (
            "$mysql$A$005*F9CC98CE08892924F50A213B6BC571A2C11778C5*21212121393559393965414D45316477456B484F41316E64484742577A2E3162785353526B7554584647",
            "malformed"
        ),
        ("$A$005$short", "malformed"),
        ("$3$$8846f7eaee8fb117ad06bdd830b7586", "malformed"),
        ("$NT$zz46f7eaee8fb117ad06bdd830b7586c", "malformed"),
        (
            "SCRAM-SHA-256$0:c2FsdA==$IjiTpOOfdgjNoEP7hHOIBAQwEY9PveALHQSzMdIU47w=:NgTw5N1qkWDsBr6N92dAiwrBgv+KP20uqEbLuyDb8fQ=",
            "malformed"
        ),
        (#"{"secretData": "{", "credentialData": "{}"}"#, "malformed"),
        (
            #"{"secretData": {"value": "AAAA", "salt": ""}, "credentialData": {"algorithm": "md4", "hashIterations": 1}}"#,
            "unsupported"
        ),
        (
            #"{"secretData": {"value": "AAAA", "salt": ""}, "credentialData": {"algorithm": "pbkdf2", "hashIterations": 1e30}}"#,
            "malformed"
        ),
        ("hash\u{0}with-nul", "unsupported"),
        ("spaces are not hashes", "unsupported"),
        ("ünïcødé", "unsupported"),
        (String(repeating: "a", count: 5000), "unsupported"),
    ])
    func malformedHashesGetAReason(hash: String, code: String) {
        let result = catalog.verify(password: "password", hash: hash)
        guard case .error(let error) = result else {
            Issue.record("expected \(code), got \(result)")
            return
        }
        #expect(error.code == code, "\(hash.prefix(40)): \(error)")
        #expect(!error.description.contains("password"))
    }

    @Test(arguments: [
        (
            "$2b$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "bcrypt parameters over limit: cost 31 exceeds the limit of 15"
        ),
        (
            "$sha1$4294967295$Wq3GL2Vp$C8U25GvfHS8qGHimExLaiSFlGkAe",
            "sha1-crypt parameters over limit: rounds 4294967295 exceeds the limit of 5000000"
        ),
        (
            #"{"secretData": {"value": "AAAA", "salt": ""}, "credentialData": {"algorithm": "argon2", "hashIterations": 3, "additionalParameters": {"memory": ["4194304"], "hashLength": ["3"]}}}"#,
            "keycloak-argon2 parameters over limit: m=4194304 t=3 p=1 outside Ferry's argon2 limits"
        ),
        (
            "$6$rounds=999999999$salt$" + String(repeating: "a", count: 86),
            "sha512-crypt parameters over limit: rounds 999999999 exceeds the limit of 5000000"
        ),
        (
            "$pbkdf2-sha256$99999999$c2FsdA$" + String(repeating: "A", count: 43),
            "passlib-pbkdf2-sha256 parameters over limit: iterations 99999999 exceeds the limit of 5000000"
        ),
        (
            "scrypt$1048576$salt$8$1$a2V5",
            "django-scrypt parameters over limit: N=1048576, r=8, p=1 exceed the limits (256 MiB, p ≤ 16)"
        ),
        (
            "$argon2id$v=19$m=4194304,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g",
            "argon2id parameters over limit: m=4194304, t=3, p=4 exceed the limits (m ≤ 262144, t ≤ 32, p ≤ 16)"
        ),
        ("$P$Jsaltsalt1234567890123456789012", "phpass parameters over limit: count 2^21 exceeds the limit of 2^20"),
        ("$y$jFT$salt$hash", "yescrypt parameters over limit: needs 1024 MiB, more than the limit of 256 MiB"),
        // Costs whose product does not fit in 64 bits: these crashed the
        // process (found by scripts/fuzz-hashes).
        (
            "$y$jazzzzzz$salt$hash",
            "yescrypt parameters over limit: needs more than 2^64 bytes, more than the limit of 256 MiB"
        ),
        (
            "$7$argon2I/c4e$@:",
            "scrypt-crypt parameters over limit: N=2^38, r=80694071, p=706379860 exceed the configured limits"
        ),
        (
            "scrypt$16$salt$72057594037927935$1$a2V5",
            "django-scrypt parameters over limit: N=16, r=72057594037927935, p=1 exceed the limits (256 MiB, p ≤ 16)"
        ),
        (
            "scrypt:16:72057594037927935:1$salt$6b6579",
            "werkzeug-scrypt parameters over limit: N=16, r=72057594037927935, p=1 exceed the limits (256 MiB, p ≤ 16)"
        ),
    ])
    func absurdCostsAreRefusedBeforeAnyWork(hash: String, message: String) {
        // Asked of parse, which never hashes: if a ceiling check broke, this fails
        // at once instead of starting a cost-31 bcrypt.
        do {
            let parsed = try catalog.parse(hash)
            Issue.record("\(parsed.scheme) was accepted; expected: \(message)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func limitsAreConfigurable() {
        var limits = CostLimits()
        limits.maxBcryptCost = 4
        let strict = HashCatalog(limits: limits)
        guard case .error(.overLimit) = strict.verify(password: "U*U", hash: KnownVectors.bcrypt[0].hash) else {
            Issue.record("cost 5 must be over a limit of 4")
            return
        }
        #expect(catalog.verify(password: "U*U", hash: KnownVectors.bcrypt[0].hash).isMatch)
    }

    /// Mutations of every known vector — truncation, byte flips, digit runs —
    /// must each yield a result, never a crash or a hang.
    @Test func mutatedHashesNeverCrash() {
        var generator = SplitMix64(seed: 0x5eed)
        var limits = CostLimits()
        limits.maxIterations = 20_000  // keeps the sweep quick; the parser still runs in full
        limits.maxBcryptCost = 6
        limits.maxScryptMemory = 2 << 20
        let quick = HashCatalog(limits: limits, allowPlaintext: true)
        let replacements: [String] = ["", "$", "9", "99999999999999999999", "=", "\u{0}", "{", "}", ",", "-1", "ln=99"]
        var refused = 0
        var checked = 0
        for vector in KnownVectors.all {
            var chars = Array(vector.hash)
            for _ in 0..<30 {
                let index = Int(generator.next() % UInt64(chars.count))
                var mutated = chars
                switch generator.next() % 3 {
                case 0: mutated = Array(chars.prefix(index))
                case 1: mutated[index] = Character(Unicode.Scalar(UInt8(33 + generator.next() % 94)))
                default:
                    let replacement = replacements[Int(generator.next() % UInt64(replacements.count))]
                    mutated.replaceSubrange(index..<min(index + 1, chars.count), with: Array(replacement))
                }
                if case .error = quick.verify(password: "password", hash: String(mutated)) {
                    refused += 1
                } else {
                    checked += 1
                }
                chars = generator.next() % 4 == 0 ? mutated.isEmpty ? chars : mutated : chars
            }
        }
        // A crash or hang fails the run; these say the sweep reached both the
        // refusal paths and real verification, so it was not all rejected up front.
        #expect(refused > 100)
        #expect(checked > 10)
    }
}

extension VerificationResult {
    var errorDescription: String? {
        if case .error(let error) = self { return error.description }
        return nil
    }
}
