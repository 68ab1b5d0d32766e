/// Known-correct hashes from published sources, one table per scheme family.
/// Every vector here was also checked with an independent implementation
/// (passlib, Python's crypt/hashlib, Django) before it was added.
struct KnownVector: CustomStringConvertible, Sendable {
    var hash: String
    var password: [UInt8]
    var scheme: String
    var source: String

    init(_ hash: String, _ password: String, _ scheme: String, _ source: String) {
        self.init(hash, Array(password.utf8), scheme, source)
    }

    init(_ hash: String, _ password: [UInt8], _ scheme: String, _ source: String) {
        self.hash = hash
        self.password = password
        self.scheme = scheme
        self.source = source
    }

    var description: String { "\(scheme) (\(source))" }
}

enum KnownVectors {
    static let openwall = "Openwall crypt_blowfish 1.3 wrapper.c test vectors"
    static let drepper = "Ulrich Drepper, Unix crypt using SHA-256 and SHA-512, test vectors"
    static let django = "Django tests/auth_tests/test_hashers.py (password \"lètmein\", salt \"seasalt\")"
    static let passlib = "passlib 1.7.4 documentation examples"
    static let aspnet = "dotnet/aspnetcore src/Identity/test/Identity.Test/PasswordHasherTest.cs"

    static let bcrypt: [KnownVector] = [
        KnownVector("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", "bcrypt", openwall),
        KnownVector("$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK", "U*U*", "bcrypt", openwall),
        KnownVector("$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a", "U*U*U", "bcrypt", openwall),
        KnownVector(
            "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui",
            "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored",
            "bcrypt", openwall),
        KnownVector("$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy", "", "bcrypt", openwall),
        // 8-bit passwords: $2x$ reproduces the old sign-extension bug, $2a$/$2b$/$2y$ do not.
        KnownVector("$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", [0xa3], "bcrypt", openwall),
        KnownVector(
            "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", [0xff, 0xff, 0xa3], "bcrypt", openwall),
        KnownVector(
            "$2y$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", [0xff, 0xff, 0xa3], "bcrypt", openwall),
        KnownVector(
            "$2a$05$/OK.fbVrR/bpIqNJ5ianF.nqd1wy.pTMdcvrRWxyiGL2eMz.2a85.", [0xff, 0xff, 0xa3], "bcrypt", openwall),
        KnownVector(
            "$2b$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", [0xff, 0xff, 0xa3], "bcrypt", openwall),
        KnownVector("$2y$05$/OK.fbVrR/bpIqNJ5ianF.Sa7shbm4.OzKpvFnX1pQLmQW96oUlCq", [0xa3], "bcrypt", openwall),
        KnownVector(
            "$2x$05$/OK.fbVrR/bpIqNJ5ianF.o./n25XVfn6oAPaUvHe.Csk4zRfsYPi", [0x31, 0xa3, 0x33, 0x34, 0x35], "bcrypt",
            openwall),
        KnownVector(
            "$2x$05$/OK.fbVrR/bpIqNJ5ianF.o./n25XVfn6oAPaUvHe.Csk4zRfsYPi", [0xff, 0xa3, 0x33, 0x34, 0x35], "bcrypt",
            openwall),
        KnownVector(
            "$2a$05$/OK.fbVrR/bpIqNJ5ianF.ZC1JEJ8Z4gPfpe1JOr/oyPXTWl9EFd.",
            [0xff, 0xa3, 0x33, 0x34, 0xff, 0xff, 0xff, 0xa3, 0x33, 0x34, 0x35], "bcrypt", openwall),
        KnownVector("$2x$05$6bNw2HLQYeqHYyBfLMsv/OiwqTymGIGzFsA4hOTWebfehXHNprcAS", [0xd1, 0x91], "bcrypt", openwall),
        KnownVector(
            "$2a$05$/OK.fbVrR/bpIqNJ5ianF.swQOIzjOiJ9GHEPuhEkvqrUyvWhEMx6",
            [UInt8](repeating: 0xaa, count: 72) + Array("chars after 72 are ignored as usual".utf8), "bcrypt", openwall),
        KnownVector(
            "$2a$05$/OK.fbVrR/bpIqNJ5ianF.R9xrDjiycxMbQE2bp.vgqlYpW5wx2yy",
            Array([[UInt8]](repeating: [0xaa, 0x55], count: 36).joined()), "bcrypt", openwall),
        KnownVector("$2b$12$GhvMmNVjRW29ulnudl.LbuAnUtN/LRfe1JsBm1Xu6LE3059z5Tr8m", "password", "bcrypt", passlib),
        KnownVector(
            "$bcrypt-sha256$v=2,t=2b,r=12$n79VH.0Q2TMWmt3Oqt9uku$Kq4Noyk3094Y2QlB8NdRT8SvGiI4ft2", "password",
            "passlib-bcrypt-sha256", passlib),
        KnownVector(
            "$bcrypt-sha256$2a,12$LrmaIX5x4TRtAwEfwJZa1.$2ehnw6LvuIUTM0iz4iz9hTxv21B6KFO", "password",
            "passlib-bcrypt-sha256", passlib),
        KnownVector(
            "{bcrypt}$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", "spring-bcrypt", openwall),
        KnownVector(
            "bcrypt$$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", "django-bcrypt", openwall),
    ]

    static let crypt: [KnownVector] = [
        KnownVector(
            "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "Hello world!", "sha256-crypt", drepper),
        KnownVector(
            "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA", "Hello world!",
            "sha256-crypt", drepper),
        KnownVector(
            "$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5", "This is just a test",
            "sha256-crypt", drepper),
        KnownVector(
            "$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/",
            "we have a short salt string but not a short password", "sha256-crypt", drepper),
        KnownVector(
            "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
            "Hello world!", "sha512-crypt", drepper),
        KnownVector(
            "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
            "Hello world!", "sha512-crypt", drepper),
        KnownVector(
            "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0",
            "This is just a test", "sha512-crypt", drepper),
        KnownVector(
            "$5$rounds=80000$wnsT7Yr92oJoP28r$cKhJImk5mfuSKV9b3mumNzlbstFUplKtQXXMo4G6Ep5", "password", "sha256-crypt",
            passlib),
        KnownVector("$1$3azHgidD$SrJPt7B.9rekpmwJwtON31", "password", "md5-crypt", passlib),
        KnownVector(
            "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/", "myPassword", "apr1",
            "Apache httpd documentation, htpasswd example"),
        KnownVector(
            "$7$C6..../....SodiumChloride$kBGj9fHznVYFQMEn/qDCfrDevf9YDtcDdKvEqHJLV8D", "pleaseletmein", "scrypt-crypt",
            "Colin Percival's scrypt / libxcrypt test vector (RFC 7914 parameters)"),
        KnownVector(
            "{CRYPT}$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "Hello world!", "ldap-crypt", drepper),
    ]

    static let pbkdf2: [KnownVector] = [
        KnownVector(
            "pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=", "lètmein",
            "django-pbkdf2-sha256",
            django),
        KnownVector("pbkdf2_sha1$10000$seasalt$oAfF6vgs95ncksAhGXOWf4Okq7o=", "lètmein", "django-pbkdf2-sha1", django),
        KnownVector(
            "AAABAgMEBQYHCAkKCwwNDg+ukCEMDf0yyQ29NYubggHIVY0sdEUfdyeM+E1LtH1uJg==", "my password", "aspnet-identity-v2",
            aspnet),
        KnownVector(
            "AQAAAAAAAAD6AAAAEAhftMyfTJylOlZT+eEotFXd1elee8ih5WsjXaR3PA9M", "my password", "aspnet-identity-v3", aspnet),
        KnownVector(
            "AQAAAAEAA9CQAAAAIESkQuj2Du8Y+kbc5lcN/W/3NiAZFEm11P27nrSN5/tId+bR1SwV8CO1Jd72r4C08OLvplNlCDc3oQZ8efcW+jQ=",
            "my password", "aspnet-identity-v3", aspnet),
        KnownVector(
            "AQAAAAIAAAAyAAAAEOMwvh3+FZxqkdMBz2ekgGhwQ4B6pZWND6zgESBuWiHw", "my password", "aspnet-identity-v3", aspnet),
        KnownVector(
            "AQAAAAIAAAD6AAAAIJbVi5wbMR+htSfFp8fTw8N8GOS/Sje+S/4YZcgBfU7EQuqv4OkVYmc4VJl9AGZzmRTxSkP7LtVi9IWyUxX8IAAfZ8v+ZfhjCcudtC1YERSqE1OEdXLW9VukPuJWBBjLuw==",
            "my password", "aspnet-identity-v3", aspnet),
        KnownVector(
            "AQAAAAIAACcQAAAAEAABAgMEBQYHCAkKCwwNDg9B0Oxwty+PGIDSp95gcCfzeDvA4sGapUIUov8usXfD6A==", "my password",
            "aspnet-identity-v3", aspnet),
    ]

    static let scrypt: [KnownVector] = [
        KnownVector(
            "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E", "password",
            "passlib-scrypt", passlib),
        KnownVector(
            "$firescrypt$ln=14,r=8,p=1$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==$Bw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
            "user1password", "firebase-scrypt", "firebase/scrypt README example"),
    ]

    static let argon2: [KnownVector] = [
        KnownVector(
            "$argon2i$v=19$m=512,t=2,p=2$aI2R0hpDyLm3ltLa+1/rvQ$LqPKjd6n8yniKtAithoR7A", "password", "argon2i", passlib),
        KnownVector(
            "argon2$argon2i$v=19$m=512,t=2,p=2$aI2R0hpDyLm3ltLa+1/rvQ$LqPKjd6n8yniKtAithoR7A", "password",
            "django-argon2", passlib),
    ]

    static let digests: [KnownVector] = [
        KnownVector("{MD5}X03MO1qnZdYdgyfeuILPmQ==", "password", "ldap-md5", passlib),
        KnownVector("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "password", "ldap-sha", passlib),
        KnownVector(
            "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0", "test12345", "phpass", "WordPress Codex, wp_hash_password example"),
        KnownVector("sha1$seasalt$cff36ea83f5706ce9aa7454e63e431fc726b2dc8", "lètmein", "django-salted-sha1", django),
        KnownVector("md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3", "lètmein", "django-salted-md5", django),
        KnownVector("md5$$88a434c88cca4e900f7874cd98123f43", "lètmein", "django-unsalted-md5", django),
        KnownVector("sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b", "lètmein", "django-unsalted-sha1", django),
        KnownVector("88a434c88cca4e900f7874cd98123f43", "lètmein", "hex-md5", django),
    ]

    static let hashcat = "hashcat example hashes (modes 9200 and 9300), also derived with Python's hashlib"
    /// `CREATE ROLE … PASSWORD` on PostgreSQL 15.18 with `password_encryption =
    /// 'scram-sha-256'`, read back from `pg_authid.rolpassword`.
    static let postgres = "PostgreSQL 15.18 server, pg_authid.rolpassword"

    static let databasesAndAppliances: [KnownVector] = [
        KnownVector("*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19", "password", "mysql41", passlib),
        KnownVector("5d2e19393cc5ef67", "password", "mysql323", passlib),
        KnownVector("$sha1$1$Wq3GL2Vp$C8U25GvfHS8qGHimExLaiSFlGkAe", "test", "sha1-crypt", passlib),
        KnownVector("$md5$bX3kpM8B$$4lvjuxCx9EQBfFUnKBwJ0/", "test", "sun-md5-crypt", passlib),
        KnownVector("$md5,rounds=904$bX3kpM8B$$OoiBtFVw57Y0xTfpymvXL.", "test", "sun-md5-crypt", "libxcrypt 4.4"),
        // OpenLDAP 2.5 slappasswd with its argon2 module; argon2-cffi verifies it too.
        KnownVector(
            "{ARGON2}$argon2i$v=19$m=4096,t=3,p=1$vs6XvjHVNq/HKVhNZTn63w$bZoI5BerlgTqHsixAN4PHfm9QpGI31HK30nneuLGu40",
            "x",
            "ldap-argon2", "OpenLDAP 2.5 slappasswd -h {ARGON2}"),
        // MySQL 8 caching_sha2_password with binary salts (bytes over 0x7f),
        // which passlib cannot take: hashcat's example for mode 7401, and one
        // a published cross-checked table lists.
        KnownVector(
            "$mysql$A$005*F9CC98CE08892924F50A213B6BC571A2C11778C5*625479393559393965414D45316477456B484F41316E64484742577A2E3162785353526B7554584647562F",
            "hashcat", "mysql-caching-sha2", hashcat),
        KnownVector(
            "$mysql$A$005*06437A150142644D74187A6A2F0D7971094F2575*48667A67485366745A304F6A487A73704250663465337A7530325157687A51364A384D737554424939702E",
            "password", "mysql-caching-sha2", hashcat),
        KnownVector("$3$$8846f7eaee8fb117ad06bdd830b7586c", "password", "nthash", passlib),
        KnownVector("$8$TnGX/fE4KGHOVU$pEhnEvxrvaynpi8j4f.EMHr6M.FzU8xnZnBr/tJdFWk", "hashcat", "cisco-type8", hashcat),
        KnownVector("$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6", "hashcat", "cisco-type9", hashcat),
        KnownVector(
            "SCRAM-SHA-256$4096:UWcjPhyRy1kKl8KM8klRYQ==$IjiTpOOfdgjNoEP7hHOIBAQwEY9PveALHQSzMdIU47w=:NgTw5N1qkWDsBr6N92dAiwrBgv+KP20uqEbLuyDb8fQ=",
            "correct horse battery staple", "postgres-scram-sha256", postgres),
        KnownVector(
            "SCRAM-SHA-256$4096:pvNyG4ar8raszuEy3xauog==$l+rgpGPn7YCOhm6fgm6JABro6QzK8OtQ7PE/b1SiREk=:V4Sne8H3tKoWhZ7ZcrUXgMc0ZvEGA1OnwVja9nxJCkw=",
            "café naïve", "postgres-scram-sha256", postgres),
        // SASLprep: a combining accent and a no-break space, as typed.
        KnownVector(
            "SCRAM-SHA-256$4096:YT10nHUf1cTxAdZkCDa8Cg==$1YJYoigiMjLEhIlDngvZiAUbUHbXJjuziO/hB6y5YWc=:sF47RCG6YHPOcfxEReoaAvaXN5UzjY/dOv0hZMN1Nxg=",
            "cafe\u{301}\u{a0}x", "postgres-scram-sha256", postgres),
        // SASLprep: a ligature and a soft hyphen.
        KnownVector(
            "SCRAM-SHA-256$4096:O3PDLNuRJiy0eafzQKqLfQ==$pPaeK4VWkyx6ePcdV+TQr1n1oixX12HzfE4ZRE3/PzQ=:eQM8YuBN/qGDI/kxTx68Ta3+WOY+poPnd1wtIBtI+/Y=",
            "\u{fb01}sh\u{ad}tank", "postgres-scram-sha256", postgres),
        // A control character is prohibited: PostgreSQL hashes the raw bytes.
        KnownVector(
            "SCRAM-SHA-256$4096:oDsg1rjWkwrTA0MVepl49g==$OLd5SqTCYX2rEu/r+fMXH/8zsIVC7kV08x4Yhco4GPo=:mq/kES7dt4cS9ptVUcL05+Gwy1xhQ2vVmhWfcdGi2Jk=",
            "ctrl\u{1}char", "postgres-scram-sha256", postgres),
    ]

    static let all = bcrypt + crypt + pbkdf2 + scrypt + argon2 + digests + databasesAndAppliances
}
