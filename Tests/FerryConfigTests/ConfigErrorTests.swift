import Foundation
import PasswordHashes
import Testing

@testable import FerryConfig

/// A minimal valid file; each case edits it to break exactly one thing.
let minimalConfig = """
    [server]
    listen = "127.0.0.1:8080"

    [upstreams.legacy]
    url = "http://127.0.0.1:8081"

    [[route]]
    name = "all"
    path_prefix = "/"
    action = "proxy"
    upstream = "legacy"
    """

func issues(_ text: String, environment: [String: String] = [:]) -> [String] {
    do {
        _ = try ProxyConfig.parse(text, file: "proxy.conf", baseDirectory: "/etc/ferry", environment: environment)
        return []
    } catch {
        return error.issues.map(\.description)
    }
}

struct ConfigErrorTests {
    @Test func minimalConfigIsValid() {
        #expect(issues(minimalConfig) == [])
    }

    /// A case-sensitive legacy store turns case folding off by default, and
    /// refuses it when asked for.
    @Test func caseSensitiveLegacyKeepsTheCase() throws {
        let base = """
            [server]
            listen = "127.0.0.1:0"
            [legacy]
            database = "sqlite:///tmp/x.db"
            user_query = "SELECT id AS legacy_id, password AS password_hash FROM u WHERE username = :identifier"
            case_sensitive = true
            """
        let config = try ProxyConfig.parse(base, file: "proxy.conf", baseDirectory: "/etc/ferry")
        #expect(config.migration.normalization == [.trim, .nfkc])
        #expect(
            issues(base + "\n[migration]\nnormalize_identifier = [\"trim\", \"casefold\"]") == [
                "proxy.conf:8: key `migration.normalize_identifier` must not contain \"casefold\" with `legacy.case_sensitive = true`: \"Ada\" would be judged against the hash of \"ada\""
            ])
        #expect(issues(base + "\n[migration]\nnormalize_identifier = [\"trim\"]") == [])
    }

    /// `unknown_identifier = "lookup"` needs a target that can be asked.
    @Test func unknownIdentifierLookupNeedsATargetThatAnswers() {
        let base = """
            [server]
            listen = "127.0.0.1:0"
            [migration]
            unknown_identifier = "lookup"
            """
        #expect(
            issues(base + "\n[target]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:1/hook\"") == [
                "proxy.conf:4: `migration.unknown_identifier = \"lookup\"` needs a target that can be asked (scim, or sql with `lookup_query`); a webhook cannot"
            ])
        #expect(
            issues(base) == ["proxy.conf:4: `migration.unknown_identifier = \"lookup\"` needs a `[target]` to ask"])
        #expect(
            issues(base + "\n[target]\nkind = \"scim\"\nurl = \"http://127.0.0.1:1/scim/v2\"\nunknown = 1").count
                == 1, "scim can be asked; only the unknown key is reported")
    }

    /// Entries with their own syntax: each bad one is named, with its line.
    @Test func holdRulesAndSCIMMappingsAreValidated() {
        let text = """
            [server]
            listen = "127.0.0.1:0"
            [migration]
            hold_on_legacy = ["role:admins", "is staff", "is_staff"]
            [target]
            kind = "scim"
            url = "http://127.0.0.1:1/scim/v2"
            scim_attributes = ["department = urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "title", "x = urn:bad:"]
            """
        #expect(
            issues(text) == [
                "proxy.conf:4: key `migration.hold_on_legacy` entry \"is staff\" must be `role:NAME`, an attribute name, or `NAME=VALUE`",
                "proxy.conf:8: key `target.scim_attributes` entry \"title\" must be `ATTRIBUTE = SCIM_PATH`",
                "proxy.conf:8: key `target.scim_attributes` entry \"x = urn:bad:\" must end its schema URN with `:attributeName`",
            ])
    }

    @Test func syntaxErrorNamesItsLine() {
        let text = minimalConfig.replacingOccurrences(
            of: #"listen = "127.0.0.1:8080""#, with: #"listen = "127.0.0.1:8080"#)
        #expect(
            issues(text) == [
                #"proxy.conf:2:25: syntax error: unterminated string (a newline inside "…"; use """…""" for several lines)"#
            ])
    }

    @Test func unknownKeyIsAnErrorWithASuggestion() {
        let text = minimalConfig + "\n\n[migration]\nmode = \"off\"\nrollout_precent = 10\n"
        #expect(
            issues(text) == ["proxy.conf:15: unknown key `migration.rollout_precent` (did you mean `rollout_percent`?)"]
        )
    }

    /// A key pasted by mistake can be kilobytes long: the message names its
    /// line and its start, and the check stays quick.
    @Test func aLongUnknownKeyIsShownShortened() {
        let key = String(repeating: "x", count: 100_000)
        let text = minimalConfig + "\n\n[migration]\nmode = \"off\"\n\(key) = 10\n"
        let found = issues(text)
        #expect(found.count == 1)
        #expect(
            found.first?.hasPrefix(
                "proxy.conf:15: unknown key `migration.\(String(repeating: "x", count: 50))…` (expected one of: allow,")
                == true, "\(found)")
    }

    @Test func unknownSectionIsAnError() {
        let text = minimalConfig + "\n\n[mirgation]\nmode = \"off\"\n"
        #expect(issues(text) == ["proxy.conf:13: unknown key `mirgation` (did you mean `migration`?)"])
    }

    @Test func wrongTypeSaysExpectedAndFound() {
        let text = minimalConfig.replacingOccurrences(
            of: "[upstreams.legacy]", with: "[upstreams.legacy]\npool_size = \"many\"")
        #expect(
            issues(text) == [#"proxy.conf:5: key `upstreams.legacy.pool_size` must be an integer, found string "many""#]
        )
    }

    @Test func rolloutPercentOutOfRange() {
        let text = minimalConfig + "\n\n[migration]\nrollout_percent = 150\n"
        #expect(issues(text) == ["proxy.conf:14: key `migration.rollout_percent` must be between 0 and 100, found 150"])
    }

    /// Every head Ferry forwards must stay under what its HTTP client can
    /// write in one go (UpstreamHead): larger limits are refused.
    @Test func maxHeaderSizeStopsAt56KiB() {
        let over = minimalConfig.replacingOccurrences(
            of: "listen = \"127.0.0.1:8080\"", with: "listen = \"127.0.0.1:8080\"\nmax_header_size = \"1MiB\"")
        let found = issues(over)
        #expect(found.count == 1 && found[0].hasPrefix("proxy.conf:3: key `server.max_header_size`"), "\(found)")
        let largest = minimalConfig.replacingOccurrences(
            of: "listen = \"127.0.0.1:8080\"", with: "listen = \"127.0.0.1:8080\"\nmax_header_size = \"56KiB\"")
        #expect(issues(largest).isEmpty)
    }

    @Test func rolloutPercentTakesTwoDecimalsOnly() {
        let text = minimalConfig + "\n\n[migration]\nrollout_percent = 12.345\n"
        #expect(
            issues(text) == [
                "proxy.conf:14: key `migration.rollout_percent` must have at most 2 decimal places, found 12.345"
            ])
        #expect(issues(minimalConfig + "\n\n[migration]\nrollout_percent = 12.34\n") == [])
    }

    @Test func legacyKeysComeFromOnePlaceAndAreNotAskedTooOften() {
        let both = minimalConfig + "\n\n[sessions]\njwks_file = \"/etc/hostname\"\njwks_url = \"https://legacy/jwks\"\n"
        #expect(
            issues(both) == [
                "proxy.conf:15: key `sessions.jwks_url` cannot be set together with `sessions.jwks_file`; set one of them"
            ])
        let eager = minimalConfig + "\n\n[sessions]\njwks_url = \"https://legacy/jwks\"\njwks_refresh = \"10s\"\n"
        #expect(
            issues(eager) == [
                "proxy.conf:15: key `sessions.jwks_refresh` must be at least 1m (legacy's key server is asked at most once a minute)"
            ])
        #expect(issues(minimalConfig + "\n\n[sessions]\njwks_url = \"ftp://legacy/jwks\"\n").count == 1)
    }

    @Test func missingRequiredKeyNamesTheTable() {
        let text = minimalConfig.replacingOccurrences(of: #"listen = "127.0.0.1:8080""#, with: "")
        #expect(issues(text) == ["proxy.conf:1: missing required key `server.listen`"])
    }

    @Test func missingServerSection() {
        let text = minimalConfig.replacingOccurrences(of: "[server]\nlisten = \"127.0.0.1:8080\"\n", with: "")
        #expect(issues(text) == ["proxy.conf: missing required key `server`"])
    }

    @Test func routeNamingAnUndefinedUpstream() {
        let text = minimalConfig.replacingOccurrences(of: #"upstream = "legacy""#, with: #"upstream = "legcy""#)
        #expect(
            issues(text) == [
                #"proxy.conf:11: key `route[0].upstream` names upstream "legcy", which is not defined (defined: legacy)"#
            ])
    }

    @Test func duplicateRouteName() {
        let text = minimalConfig + "\n\n[[route]]\nname = \"all\"\naction = \"proxy\"\nupstream = \"legacy\"\n"
        #expect(issues(text) == [#"proxy.conf:14: key `route[1].name` "all" is already used by route[0]"#])
    }

    @Test func unreadableSecretFile() {
        let text = minimalConfig + "\n\n[admin]\ntoken_file = \"/nonexistent/ferry/admin.token\"\n"
        #expect(
            issues(text) == [
                #"proxy.conf:14: key `admin.token_file` names "/nonexistent/ferry/admin.token", which cannot be read: No such file or directory"#
            ])
    }

    @Test func secretFromEnvironmentMustBeSet() {
        let text = minimalConfig + "\n\n[admin]\ntoken_env = \"FERRY_ADMIN_TOKEN\"\n"
        #expect(
            issues(text) == [
                "proxy.conf:14: key `admin.token_env` names environment variable FERRY_ADMIN_TOKEN, which is not set or is empty"
            ])
        #expect(issues(text, environment: ["FERRY_ADMIN_TOKEN": "s3cret"]) == [])
    }

    @Test func inlineSecretsAreRefused() {
        let text = minimalConfig + "\n\n[admin]\ntoken = \"s3cret\"\n"
        #expect(
            issues(text) == [
                "proxy.conf:14: key `admin.token` must not hold a secret inline; use `admin.token_file` or `admin.token_env`"
            ])
    }

    @Test func secretFileValueIsReadAndNeverDescribed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-config-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "s3cret-token\n".write(
            to: directory.appendingPathComponent("admin.token"), atomically: true, encoding: .utf8)
        let text = minimalConfig + "\n\n[admin]\ntoken_file = \"admin.token\"\n"
        let config = try ProxyConfig.parse(text, file: "proxy.conf", baseDirectory: directory.path)
        #expect(config.admin.token?.value == "s3cret-token")
        #expect(!config.summary.contains("s3cret"))
        #expect(config.admin.token?.description == "file \(directory.path)/admin.token")
    }

    @Test func everyIssueIsReportedInOnePass() {
        let text = """
            [server]
            listen = "nowhere"
            [upstreams.legacy]
            url = "ftp://example"
            [migration]
            mode = "fast"
            """
        #expect(
            issues(text) == [
                #"proxy.conf:2: key `server.listen` must be "host:port" ("[::1]:port" for IPv6) with a port from 0 to 65535, found "nowhere""#,
                #"proxy.conf:4: key `upstreams.legacy.url` must be an http:// or https:// URL with a host, found "ftp://example""#,
                #"proxy.conf:6: key `migration.mode` must be one of "off", "shadow", "migrate", found "fast""#,
            ])
    }

    @Test func migrateModeNeedsLegacyTargetAndKey() {
        let text =
            minimalConfig.replacingOccurrences(
                of: "[upstreams.legacy]", with: "[upstreams.new]\nurl = \"http://127.0.0.1:8082\"\n[upstreams.legacy]")
            + "\n\n[migration]\nmode = \"migrate\"\n"
        #expect(
            issues(text) == [
                "proxy.conf:16: `[legacy]` is required when `migration.mode` is not \"off\"",
                "proxy.conf:16: `[target]` is required when `migration.mode = \"migrate\"`",
                "proxy.conf:16: `state.encryption_key_file` or `state.encryption_key_env` is required when `migration.mode = \"migrate\"` (the outbox holds MFA secrets)",
            ])
    }

    @Test func targetAndLoginShapeAreValidated() {
        let text =
            minimalConfig.replacingOccurrences(
                of: "[upstreams.legacy]", with: "[upstreams.new]\nurl = \"http://127.0.0.1:8082\"\n[upstreams.legacy]")
                + """

                [target]
                kind = "sql"
                database = "sqlite://new.db"
                statements = ["INSERT INTO accounts (id) VALUES (:new_id)"]
                mfa_factors = ["totp", "sms"]
                retry_initial = "10m"
                retry_ceiling = "1m"

                [[route]]
                name = "login"
                action = "login"
                new_body_format = "json"
                new_identifier_field = "email"
                """
        #expect(
            issues(text) == [
                "proxy.conf:14: key `target.existing_query` is required for `kind = \"sql\"`: without it a retried job cannot tell its own user from a stranger",
                "proxy.conf:18: key `target.mfa_factors` may contain \"totp\", \"hotp\", \"recovery_codes\", \"webauthn\", \"phone\", found \"sms\"",
                "proxy.conf:19: key `target.retry_initial` must not exceed `target.retry_ceiling`",
                "proxy.conf:26: key `route[1].new_identifier_field` must be a JSON pointer such as \"/user/email\" when `new_body_format = \"json\"`",
            ])
    }

    @Test func migratingThroughScimNeedsItsToken() {
        let text =
            minimalConfig.replacingOccurrences(
                of: "[upstreams.legacy]", with: "[upstreams.new]\nurl = \"http://127.0.0.1:8082\"\n[upstreams.legacy]")
                + """

                [state]
                encryption_key_env = "KEY"
                [legacy]
                database = "sqlite://legacy.db"
                user_query = "SELECT 1 AS legacy_id, 2 AS password_hash WHERE 1 = :identifier"
                [target]
                kind = "scim"
                url = "http://127.0.0.1:8082/scim/v2"
                [migration]
                mode = "migrate"
                """
        #expect(
            issues(text, environment: ["KEY": String(repeating: "ab", count: 32)]) == [
                "proxy.conf:20: `target.token_file` or `target.token_env` is required when `migration.mode = \"migrate\"` with a SCIM target"
            ])
    }

    @Test func encryptionKeyMustBe32Bytes() {
        let text = minimalConfig + "\n\n[state]\nencryption_key_env = \"KEY\"\n"
        #expect(
            issues(text, environment: ["KEY": "too-short"]) == [
                "proxy.conf:14: key `state.encryption_key_env` must hold a 32-byte key as 64 hex characters or 44 base64 characters (env $KEY does not)"
            ])
        #expect(issues(text, environment: ["KEY": String(repeating: "ab", count: 32)]) == [])
    }

    @Test func tlsNeedsBothFiles() {
        let text = minimalConfig.replacingOccurrences(
            of: "[server]", with: "[server]\ntls_cert_file = \"/etc/ferry/cert.pem\"")
        #expect(
            issues(text).contains(
                "proxy.conf:1: key `server.tls_key_file` is required when `server.tls_cert_file` is set"))
    }

    @Test func http2NeedsTLS() throws {
        let text = minimalConfig.replacingOccurrences(of: "[server]", with: "[server]\nhttp2 = true")
        #expect(
            issues(text).contains(
                "proxy.conf:2: key `server.http2` needs `server.tls_cert_file` and `server.tls_key_file`: "
                    + "HTTP/2 is offered through TLS (ALPN)"))
        // Off, which is also its default, it asks nothing of a plain listener.
        let off = minimalConfig.replacingOccurrences(of: "[server]", with: "[server]\nhttp2 = false")
        #expect(issues(off).isEmpty)
        #expect(
            try !ProxyConfig.parse(minimalConfig, file: "proxy.conf", baseDirectory: "/etc/ferry", environment: [:])
                .server.http2)
    }

    @Test func relativePathsAreTakenFromTheConfigFolder() throws {
        let config = try ProxyConfig.parse(
            minimalConfig, file: "proxy.conf", baseDirectory: "/etc/ferry", environment: [:])
        #expect(config.state.store == .sqlite(path: "/etc/ferry/ferry-state.db"))
    }

    @Test func routesKeepFileOrderAndDefaults() throws {
        let text = minimalConfig.replacingOccurrences(
            of: "[[route]]",
            with:
                "[upstreams.new]\nurl = \"http://127.0.0.1:8082\"\n\n[[route]]\nname = \"login\"\nmethods = [\"post\"]\npath = \"/login\"\naction = \"login\"\nidentifier_field = \"/user/email\"\n\n[[route]]"
        )
        let config = try ProxyConfig.parse(text, file: "proxy.conf", baseDirectory: "/", environment: [:])
        #expect(config.routes.map(\.name) == ["login", "all"])
        #expect(config.routes[0].match.methods == ["POST"])
        #expect(config.routes[0].match.path == .exact("/login"))
        guard case .login(let login) = config.routes[0].action else {
            Issue.record("expected a login action")
            return
        }
        #expect(login.identifierField == "/user/email")
        #expect(login.passwordField == "password")
        #expect(login.maxBodySize == 16 * 1024)
    }

    @Test func rehashAndLimitTablesAreValidated() throws {
        let legacy = """


            [legacy]
            database = "sqlite://legacy.db"
            user_query = "SELECT * FROM users WHERE email = :identifier"

            [legacy.limits]
            max_bcrypt_cost = 40
            max_scrypt_memory = "64MiB"

            [migration.rehash]
            scheme = "scrypt"
            format = "keycloak"
            argon2_memory = "64MiB"
            """
        #expect(
            issues(minimalConfig + legacy) == [
                "proxy.conf:18: key `legacy.limits.max_bcrypt_cost` must be between 4 and 31, found 40",
                #"proxy.conf:23: key `migration.rehash.format` "keycloak" cannot hold "scrypt" hashes: Keycloak has no built-in scrypt provider; choose argon2id or pbkdf2-sha256"#,
            ])
        let valid =
            minimalConfig
            + legacy.replacingOccurrences(of: "max_bcrypt_cost = 40", with: "max_bcrypt_cost = 13")
            .replacingOccurrences(of: #"format = "keycloak""#, with: #"format = "django""#)
        let config = try ProxyConfig.parse(valid, file: "proxy.conf", baseDirectory: "/", environment: [:])
        #expect(config.legacy?.limits.maxBcryptCost == 13)
        #expect(config.legacy?.limits.maxScryptMemory == 64 << 20)
        #expect(config.migration.rehash.scheme == .scrypt)
        #expect(config.migration.rehash.parameters.argon2MemoryKiB == 65536, "written: kept")
        #expect(config.migration.rehash.parameters.pbkdf2Iterations == 1_000_000, "unset: Django's own")
        #expect(config.migration.rehash.parameters.scryptP == 5, "unset: Django's own")
    }

    /// The file's scheme and format words are `PasswordHashes`' own, and a
    /// pair the config accepts is one `Rehasher` can write: no copy to drift.
    @Test(arguments: RehashAlgorithm.allCases)
    func rehashPairsAreTheRehashersOwn(scheme: RehashAlgorithm) throws {
        for format in RehashFormat.allCases {
            let text =
                minimalConfig
                + "\n\n[migration.rehash]\nscheme = \"\(scheme.rawValue)\"\nformat = \"\(format.rawValue)\"\n"
            let writable = (try? Rehasher(algorithm: scheme, format: format).validate()) != nil
            let accepted = issues(text).isEmpty
            #expect(accepted == writable, "\(scheme.rawValue) in \(format.rawValue)")
            guard accepted else { continue }
            let settings = try ProxyConfig.parse(text, file: "proxy.conf", baseDirectory: "/", environment: [:])
                .migration.rehash
            #expect(settings.scheme == scheme && settings.format == format)
            #expect(
                settings.parameters == RehashParameters.defaults(for: format),
                "defaults are the rehasher's for the format")
        }
    }
}
