import Foundation
import PasswordHashes

extension ProxyConfig {
    /// Reads, parses and validates the file at `path`.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigError) -> ProxyConfig
    {
        try loadDigested(path: path, environment: environment).config
    }

    /// The config and the SHA-256 (hex) of the very bytes it was built from:
    /// instances sharing a store compare digests to notice one that has not
    /// reloaded.
    public static func loadDigested(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> (config: ProxyConfig, digest: String) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason =
                (error as NSError).code == NSFileReadNoSuchFileError
                ? "No such file or directory" : "cannot be read"
            throw ConfigError(issues: [
                ConfigIssue(file: path, line: nil, keyPath: nil, message: "cannot read config file: \(reason)")
            ])
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let bytes = Array(data)
        let config = try parse(bytes: bytes, file: path, baseDirectory: directory, environment: environment)
        let digest = DigestAlgorithm.sha256.digest(bytes).map { String(format: "%02x", $0) }.joined()
        return (config, digest)
    }

    /// Parses and validates a config file's bytes, whatever they are: text that
    /// is not UTF-8 is an error naming the line where it stops being UTF-8.
    public static func parse(
        bytes: [UInt8], file: String, baseDirectory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> ProxyConfig {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let line = firstInvalidUTF8Line(bytes)
            throw ConfigError(issues: [
                ConfigIssue(file: file, line: line, keyPath: nil, message: "file is not UTF-8 text")
            ])
        }
        return try parse(text, file: file, baseDirectory: baseDirectory, environment: environment)
    }

    /// The 1-based line holding the first byte sequence that is not UTF-8.
    static func firstInvalidUTF8Line(_ bytes: [UInt8]) -> Int {
        var line = 1
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            if String(validating: bytes[start...index], as: UTF8.self) == nil { return line }
            line += 1
            start = index + 1
        }
        return line
    }

    /// Parses and validates a config text. Relative file paths inside it are taken
    /// relative to `baseDirectory` (the config file's folder).
    public static func parse(
        _ text: String, file: String, baseDirectory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> ProxyConfig {
        let document: TOMLDocument
        do {
            document = try TOMLParser.parse(text)
        } catch {
            throw ConfigError(issues: [
                ConfigIssue(
                    file: file, line: error.line, column: error.column, keyPath: nil,
                    message: "syntax error: \(error.message)")
            ])
        }
        let log = IssueLog(file: file, document: document)
        let builder = ConfigBuilder(log: log, baseDirectory: baseDirectory, environment: environment)
        let config = builder.build(TableReader(document.root, path: "", log: log))
        guard log.issues.isEmpty, let config else {
            throw ConfigError(issues: log.issues.sorted { ($0.line ?? 0) < ($1.line ?? 0) })
        }
        return config
    }
}

/// Turns the reader's raw values into the validated model, section by section.
struct ConfigBuilder {
    let log: IssueLog
    let baseDirectory: String
    let environment: [String: String]

    func build(_ root: TableReader) -> ProxyConfig? {
        let server = root.table("server").map(server) ?? nil
        if !root.has("server") { root.missing("server") }
        let admin = admin(root.table("admin"))
        let state = state(root.table("state"))
        let upstreamTables = root.namedTables("upstreams")
        let upstreams = Dictionary(
            uniqueKeysWithValues: upstreamTables.compactMap { entry in
                upstream(entry.name, entry.reader).map { (entry.name, $0) }
            })
        // Sections the file has, valid or not: a reference to one that failed
        // to load is not a second error (its own error says what is wrong).
        let written = WrittenSections(
            upstreams: Set(upstreamTables.map(\.name)), legacy: root.has("legacy"), target: root.has("target"))
        let legacy = root.table("legacy").flatMap(legacySource)
        let target = root.table("target").flatMap(target)
        let migrationTable = root.table("migration")
        var migration = migration(migrationTable)
        if legacy?.caseSensitive == true {
            // Identifiers follow how legacy matches them: a case-sensitive store
            // gets no case folding unless the file asks, and then it is refused.
            if migrationTable?.has("normalize_identifier") == true {
                if migration?.normalization.contains(.casefold) == true {
                    migrationTable?.report(
                        "normalize_identifier",
                        "must not contain \"casefold\" with `legacy.case_sensitive = true`: \"Ada\" would be judged against the hash of \"ada\""
                    )
                }
            } else {
                migration?.normalization.removeAll { $0 == .casefold }
            }
        }
        let routes = root.tableArray("route").compactMap(route)
        let loginGuard = root.table("login_guard").map(loginGuard) ?? LoginGuardSettings()
        let sessions = root.table("sessions").map(sessions) ?? SessionSettings()
        root.finish()
        checkRouteNames(routes)
        var references = routes.enumerated().compactMap { index, route -> UpstreamReference? in
            guard case .proxy(let upstream) = route.action else { return nil }
            return UpstreamReference(key: "route[\(index)].upstream", name: upstream)
        }
        if let migration, migration.mode != .off || routes.contains(where: \.isHandledByFerry) {
            references.insert(
                contentsOf: [
                    UpstreamReference(key: "migration.legacy_upstream", name: migration.legacyUpstream),
                    UpstreamReference(key: "migration.new_upstream", name: migration.newUpstream),
                ], at: 0)
        }
        checkUpstreamReferences(references, written: written.upstreams, defined: upstreams)

        guard let server, let admin, let state, let migration else { return nil }
        let config = ProxyConfig(
            server: server, admin: admin, state: state, upstreams: upstreams, legacy: legacy, target: target,
            migration: migration, routes: routes, loginGuard: loginGuard, sessions: sessions)
        checkRoles(config, written: written)
        return config
    }

    // MARK: Sections

    private func server(_ table: TableReader) -> ServerSettings? {
        defer { table.finish() }
        var settings = ServerSettings()
        let complete = ConfigKey.read(ConfigKeys.server, from: table, into: &settings, self)
        switch (settings.tlsCertFile, settings.tlsKeyFile) {
        case (let cert?, let key?):
            for (name, path) in [("tls_cert_file", cert), ("tls_key_file", key)]
            where !FileManager.default.isReadableFile(atPath: path) {
                table.report(name, "names \"\(path)\", which cannot be read")
            }
        case (nil, nil): break
        case (_?, nil): table.report("tls_key_file", "is required when `\(table.keyPath("tls_cert_file"))` is set")
        case (nil, _?): table.report("tls_cert_file", "is required when `\(table.keyPath("tls_key_file"))` is set")
        }
        // HTTP/2 is negotiated inside TLS; asking for it on plain HTTP is a mistake
        // worth a message rather than a listener that silently speaks HTTP/1.1.
        if settings.http2, settings.tlsCertFile == nil, settings.tlsKeyFile == nil {
            table.report(
                "http2",
                "needs `\(table.keyPath("tls_cert_file"))` and `\(table.keyPath("tls_key_file"))`: HTTP/2 is offered through TLS (ALPN)"
            )
        }
        return complete ? settings : nil
    }

    private func admin(_ table: TableReader?) -> AdminSettings? {
        var settings = AdminSettings()
        guard let table else { return settings }
        defer { table.finish() }
        return ConfigKey.read(ConfigKeys.admin, from: table, into: &settings, self) ? settings : nil
    }

    private func state(_ table: TableReader?) -> StateSettings? {
        var settings = StateSettings()
        settings.store = settings.store.resolved(self)
        if let table {
            defer { table.finish() }
            guard ConfigKey.read(ConfigKeys.state, from: table, into: &settings, self) else { return nil }
            if case .mysql = settings.store {
                table.report(
                    "url",
                    "names a MySQL database; Ferry's own state lives in SQLite or PostgreSQL (MySQL serves as legacy store and sql target)"
                )
                return nil
            }
            for (name, key, what) in [
                ("encryption_key", settings.encryptionKey, "a 32-byte key"),
                ("audit_key", settings.auditKey, "a 32-byte Ed25519 seed"),
            ] {
                guard let key, EncryptionKey(key.value) == nil else { continue }
                let source = table.has("\(name)_file") ? "\(name)_file" : "\(name)_env"
                table.report(source, "must hold \(what) as 64 hex characters or 44 base64 characters (\(key) does not)")
            }
        }
        if settings.auditCheckpointFile.isEmpty {
            switch settings.store {
            case .sqlite(let path): settings.auditCheckpointFile = path + ".checkpoints"
            // Each instance signs the heads it sees into its own file.
            case .postgres, .mysql: settings.auditCheckpointFile = resolvePath("ferry-audit.checkpoints")
            }
        }
        return settings
    }

    private func upstream(_ name: String, _ table: TableReader) -> UpstreamSettings? {
        defer { table.finish() }
        if !isName(name) {
            log.report(table.path, "upstream name \"\(name)\" must use only letters, digits, `-` and `_`")
        }
        var settings = UpstreamSettings()
        settings.name = name
        return ConfigKey.read(ConfigKeys.upstream, from: table, into: &settings, self) ? settings : nil
    }

    private func legacySource(_ table: TableReader) -> LegacySourceSettings? {
        defer { table.finish() }
        var settings = LegacySourceSettings()
        var complete = ConfigKey.read(ConfigKeys.legacy, from: table, into: &settings, self)
        switch settings.kind {
        case .sql:
            for key in ["database", "user_query"] where !table.has(key) {
                table.missing(key)
                complete = false
            }
            for kind in ["ldap", "cognito", "http"] where table.table(kind) != nil {
                table.report("kind", "must be \"\(kind)\" for `[legacy.\(kind)]` to be used")
            }
        case .ldap:
            if let ldap = table.table("ldap") {
                settings.ldap = ldapSource(ldap)
                if settings.ldap == nil { complete = false }
            } else {
                table.report("kind", "is \"ldap\", so `[legacy.ldap]` must say which directory to read")
                complete = false
            }
        case .cognito:
            if let cognito = table.table("cognito") {
                settings.cognito = cognitoSource(cognito)
                if settings.cognito == nil { complete = false }
            } else {
                table.report("kind", "is \"cognito\", so `[legacy.cognito]` must say which user pool to read")
                complete = false
            }
        case .http:
            if let http = table.table("http") {
                settings.http = httpSource(http)
                if settings.http == nil { complete = false }
            } else {
                table.report("kind", "is \"http\", so `[legacy.http]` must say which admin API to ask")
                complete = false
            }
        }
        if settings.kind != .sql {
            let related = ["mfa_query", "consents_query", "roles_query"].filter { table.has($0) }
            if table.has("database") {
                settings.hasSideStore = true
                if related.isEmpty {
                    table.report(
                        "database",
                        "is read beside `[legacy.\(settings.kind.rawValue)]` only through `mfa_query`, `consents_query` or `roles_query`; set one or remove it"
                    )
                }
            } else if let first = related.first {
                table.report(first, "needs `database`: the SQL store the factors, consents or roles are read from")
            }
            for key in ["user_query", "all_users_query"] where table.has(key) {
                table.report(
                    key,
                    "is SQL; with `kind = \"\(settings.kind.rawValue)\"` legacy is read through `[legacy.\(settings.kind.rawValue)]`"
                )
            }
        }
        let userQuery = settings.userQuery
        if table.has("user_query"), !userQuery.contains(":identifier") {
            table.report("user_query", "must use the named parameter `:identifier`")
        } else if !userQuery.contains("*"),
            case let missing = ["legacy_id", "password_hash"].filter({ !userQuery.lowercased().contains($0) }),
            table.has("user_query"), !missing.isEmpty
        {
            // Without them no login can be verified; say so now, not at the first
            // login. (`SELECT *` may hold them: only --connect can tell.)
            table.report(
                "user_query",
                "must return \(missing.map { "`\($0)`" }.joined(separator: " and ")) (alias the columns, e.g. `pw AS password_hash`); `ferry check-config --connect` also checks the columns exist"
            )
        }
        for (key, query) in [("mfa_query", settings.mfaQuery), ("consents_query", settings.consentsQuery)] {
            if let query, !query.contains(":legacy_id") {
                table.report(key, "must use the named parameter `:legacy_id`")
            }
        }
        if settings.activeStatuses.isEmpty {
            table.report("active_statuses", "must list at least one status value of an active user")
        }
        if let query = settings.allUsersQuery, query.range(of: #":[A-Za-z_]+"#, options: .regularExpression) != nil {
            table.report("all_users_query", "takes no parameters; it lists every legacy user")
        }
        // A broken `[legacy.hash]` has its own errors; the source is still built,
        // so that nothing that names `[legacy]` reports it missing.
        if let answer = table.table("answer") {
            settings.answer = legacyAnswer(answer)
            if settings.answer == nil { complete = false }
        }
        if settings.verify != .hash && settings.answer == nil && table.table("answer") == nil {
            table.report(
                "verify",
                "is \"\(settings.verify.rawValue)\", so `[legacy.answer]` must say how to ask the legacy platform")
            complete = false
        }
        if settings.kind != .sql && settings.kind != .http && table.has("verify") {
            table.report(
                "verify",
                "applies to `kind = \"sql\"` and `\"http\"`; `[legacy.\(settings.kind.rawValue)]` says how its passwords are checked"
            )
        }
        if settings.kind == .http, settings.verify == .hash,
            settings.http?.mapping.contains(where: { $0.name == "password_hash" }) == false
        {
            table.report(
                "verify",
                "is \"hash\", but `[legacy.http] fields` maps no `password_hash`: SaaS admin APIs do not export hashes; set `verify = \"answer\"` and `[legacy.answer]`"
            )
        }
        if let encryption = table.table("encryption") {
            settings.encryption = secretEncryption(encryption)
        }
        if let limits = table.table("limits") {
            defer { limits.finish() }
            _ = ConfigKey.read(ConfigKeys.hashLimits, from: limits, into: &settings.limits, self)
        }
        settings.hashFormat = table.table("hash").flatMap { configuredHash($0, limits: settings.limits) }
        return complete ? settings : nil
    }

    private func sessions(_ table: TableReader) -> SessionSettings {
        defer { table.finish() }
        var settings = SessionSettings()
        _ = ConfigKey.read(ConfigKeys.sessions, from: table, into: &settings, self)
        if let query = settings.storeQuery, !query.contains(":session_id") {
            table.report("store_query", "must use the named parameter `:session_id` or `:session_id_sha256`")
        }
        if let path = settings.jwksFile, !FileManager.default.isReadableFile(atPath: path) {
            table.report("jwks_file", "names \"\(path)\", which cannot be read")
        }
        if settings.jwksFile != nil && table.has("jwks_url") {
            table.report("jwks_url", "cannot be set together with `sessions.jwks_file`; set one of them")
        }
        if settings.jwksRefresh < .seconds(60) {
            table.report("jwks_refresh", "must be at least 1m (legacy's key server is asked at most once a minute)")
            settings.jwksRefresh = .seconds(60)
        }
        return settings
    }

    private func loginGuard(_ table: TableReader) -> LoginGuardSettings {
        defer { table.finish() }
        var settings = LoginGuardSettings()
        _ = ConfigKey.read(ConfigKeys.loginGuard, from: table, into: &settings, self)
        for (key, value) in [
            ("identifier_window", settings.identifierWindow), ("client_window", settings.clientWindow),
        ]
        where table.has(key) && value < .seconds(1) {
            table.report(key, "must be at least 1s")
        }
        if let header = settings.clientAddressHeader,
            header.isEmpty || !header.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        {
            table.report("client_address_header", "must be a header name such as \"X-Forwarded-For\"")
            settings.clientAddressHeader = nil
        }
        return settings
    }

    private func httpSource(_ table: TableReader) -> HTTPSourceSettings? {
        defer { table.finish() }
        var settings = HTTPSourceSettings()
        var complete = ConfigKey.read(ConfigKeys.http, from: table, into: &settings, self)
        let templates: [(String, String?, String)] = [
            ("user_url", settings.userURL, "{identifier}"), ("roles_url", settings.rolesURL, "{legacy_id}"),
            ("mfa_url", settings.mfaURL, "{legacy_id}"), ("all_users_url", settings.allUsersURL, "{page}"),
        ]
        for (key, template, placeholder) in templates {
            guard let template, table.has(key) else { continue }
            guard template.hasPrefix("https://") || template.hasPrefix("http://") else {
                table.report(key, "must be an http:// or https:// URL")
                complete = false
                continue
            }
            if !template.contains(placeholder) {
                table.report(key, "must contain \(placeholder), where Ferry puts the value")
                complete = false
            }
        }
        for (key, pointer) in [
            ("user_pointer", settings.userPointer), ("role_pointer", settings.rolePointer),
            ("mfa_kind_pointer", settings.mfaKindPointer), ("consents_pointer", settings.consentsPointer ?? ""),
            ("all_users_pointer", settings.allUsersPointer),
        ] where !pointer.isEmpty && !pointer.hasPrefix("/") {
            table.report(key, "must be a JSON pointer starting with `/` (RFC 6901), or \"\" for the whole answer")
            complete = false
        }
        let credentials = settings.tokenURL != nil || settings.clientID != nil || settings.clientSecret != nil
        switch (settings.token != nil, credentials) {
        case (true, true):
            table.report(
                "token_file", "or the client credentials (`token_url`, `client_id`, `client_secret_*`): set one")
            complete = false
        case (false, false):
            table.report(
                "token_file",
                "`token_env` or the client credentials (`token_url`, `client_id`, `client_secret_*`) are required: the admin API wants a bearer token"
            )
            complete = false
        case (false, true):
            for (key, missing) in [("token_url", settings.tokenURL == nil), ("client_id", settings.clientID == nil)]
            where missing && !table.has(key) {
                table.report(key, "is required for the client-credentials grant")
                complete = false
            }
        case (true, false): break
        }
        return complete ? settings : nil
    }

    private func legacyAnswer(_ table: TableReader) -> LegacyAnswerSettings? {
        defer { table.finish() }
        var settings = LegacyAnswerSettings()
        var complete = ConfigKey.read(ConfigKeys.answer, from: table, into: &settings, self)
        switch settings.mode {
        case .called:
            for (key, missing) in [("token_url", settings.tokenURL == nil), ("client_id", settings.clientID.isEmpty)]
            where missing && !table.has(key) {
                table.report(key, "is required with `mode = \"called\"` (Ferry asks the token endpoint)")
                complete = false
            }
            for key in ["accepted", "rejected"] where table.has(key) {
                table.report(
                    key, "applies to `mode = \"forwarded\"`; the token endpoint's answers are read as OAuth 2.0 defines"
                )
            }
        case .forwarded:
            if settings.accepted.isEmpty && !table.has("accepted") {
                table.report(
                    "accepted",
                    "is required with `mode = \"forwarded\"`: say what legacy's answer to a right password looks like, e.g. [\"status=303 cookie=session\"]"
                )
                complete = false
            }
            // Status and location alone also describe a customer already
            // signed in whom legacy sends away from its sign-in page, whatever
            // password the post carried.
            for rule in settings.accepted
            where !rule.terms.contains(where: {
                switch $0 {
                case .cookie, .json: return true
                case .status, .location: return false
                }
            }) {
                table.report(
                    "accepted",
                    "entry \"\(rule)\" must name the session cookie the answer issues (`cookie=NAME`) or a JSON term: a status and location alone also describe a customer already signed in, whatever password was posted"
                )
                complete = false
            }
            for key in [
                "token_url", "client_id", "client_secret_file", "client_secret_env", "scope", "audience", "timeout",
            ] where table.has(key) {
                table.report(key, "applies to `mode = \"called\"`; with `forwarded` Ferry asks nothing itself")
            }
        }
        return complete ? settings : nil
    }

    private func secretEncryption(_ table: TableReader) -> LegacySecretEncryption? {
        defer { table.finish() }
        var settings = LegacySecretEncryption()
        var complete = ConfigKey.read(ConfigKeys.encryption, from: table, into: &settings, self)
        if !table.has("key_file") && !table.has("key_env") {
            table.report("key_file", "or `key_env` is required: the key the application encrypted MFA secrets with")
            complete = false
        }
        let hasSalt = table.has("key_derivation_salt_file") || table.has("key_derivation_salt_env")
        switch settings.scheme {
        case .rails where !hasSalt:
            table.report(
                "key_derivation_salt_file",
                "or `key_derivation_salt_env` is required with `scheme = \"rails\"` (active_record_encryption.key_derivation_salt)"
            )
            complete = false
        case .aes256GCM, .aes256CBC:
            if hasSalt { table.report("key_derivation_salt_file", "is only used with `scheme = \"rails\"`") }
            if let key = settings.key?.value, LegacySecretEncryption.rawKey(key) == nil {
                table.report("key_file", "must hold a 32-byte key: 64 hex digits, base64 of 32 bytes, or 32 characters")
                complete = false
            }
        default: break
        }
        return complete ? settings : nil
    }

    private func cognitoSource(_ table: TableReader) -> CognitoSourceSettings? {
        defer { table.finish() }
        var settings = CognitoSourceSettings()
        var complete = ConfigKey.read(ConfigKeys.cognito, from: table, into: &settings, self)
        if !table.has("secret_access_key_file") && !table.has("secret_access_key_env") {
            table.report(
                "secret_access_key_file",
                "or `secret_access_key_env` is required: the IAM key Ferry signs its calls with")
            complete = false
        }
        if table.has("region"),
            settings.region.range(of: #"^[a-z]{2}(-[a-z]+)+-[0-9]$"#, options: .regularExpression) == nil
        {
            table.report("region", "must be an AWS region such as eu-west-1, found \"\(settings.region)\"")
        }
        if table.has("user_pool_id"), !settings.userPoolID.hasPrefix(settings.region + "_") {
            table.report("user_pool_id", "must start with the region and an underscore, e.g. \(settings.region)_AbC123")
        }
        return complete ? settings : nil
    }

    private func ldapSource(_ table: TableReader) -> LDAPSourceSettings? {
        defer { table.finish() }
        var settings = LDAPSourceSettings()
        var complete = ConfigKey.read(ConfigKeys.ldap, from: table, into: &settings, self)
        let url = settings.url.lowercased()
        if table.has("url") {
            if !url.hasPrefix("ldap://") && !url.hasPrefix("ldaps://") {
                table.report("url", "must be ldap://host:port or ldaps://host:port, found \"\(settings.url)\"")
                complete = false
            } else if url.hasPrefix("ldaps://") && settings.startTLS {
                table.report("start_tls", "applies to ldap:// only; ldaps:// is TLS from the first byte")
            }
        }
        if !table.has("bind_password_file") && !table.has("bind_password_env") {
            table.report("bind_password_file", "or `bind_password_env` is required: the service account's password")
            complete = false
        }
        if table.has("user_filter") {
            if !settings.userFilter.contains("{identifier}") {
                table.report("user_filter", "must contain {identifier}, e.g. (uid={identifier})")
            } else if !LDAPFilterText.looksBalanced(settings.userFilter) {
                table.report("user_filter", "must be one parenthesised LDAP filter with balanced parentheses")
            }
        }
        if let filter = settings.allUsersFilter, !LDAPFilterText.looksBalanced(filter) {
            table.report("all_users_filter", "must be one parenthesised LDAP filter with balanced parentheses")
        }
        return complete ? settings : nil
    }

    private func configuredHash(_ table: TableReader, limits: HashCostLimits) -> ConfiguredHashFormat? {
        defer { table.finish() }
        var format = ConfiguredHashFormat()
        var complete = ConfigKey.read(ConfigKeys.configuredHash, from: table, into: &format, self)
        if table.has("expression") {
            // The formula says everything the digest keys would.
            let described = [
                "digest", "salt_position", "template", "salt_encoding", "hash_encoding", "password_encoding",
                "iterations",
            ]
            for key in described where table.has(key) {
                table.report(key, "does not apply with `expression`, which spells out the whole formula")
            }
            if let expression = format.expression {
                if expression.inputs.contains(.pepper) && format.pepper == nil {
                    table.report("expression", "reads PEPPER; set `pepper_file` or `pepper_env`")
                }
                do {
                    try expression.checkCosts(limits.costLimits)
                } catch {
                    table.report("expression", "\(error) (raise [legacy.limits] if the application really used it)")
                }
            }
            return complete ? format : nil
        }
        if table.has("rows") { table.report("rows", "only applies with `expression`") }
        if !table.has("digest") {
            if !table.hasMisspelling(of: "digest") && !table.hasMisspelling(of: "expression") {
                table.report("digest", "is required (or describe the whole formula with `expression`)")
            }
            complete = false
        }
        if format.saltPosition == .template {
            if let template = format.template {
                if !template.contains("{PASSWORD}") {
                    table.report("template", "must contain {PASSWORD}, found \"\(template)\"")
                }
            } else {
                table.report("template", "is required when `salt_position = \"template\"`")
            }
        } else if format.template != nil {
            table.report("template", "is only used with `salt_position = \"template\"`")
        }
        return complete ? format : nil
    }

    private func target(_ table: TableReader) -> TargetSettings? {
        defer { table.finish() }
        guard let kind = table.deciding("kind", as: TargetSettings.TargetKind.self) else { return nil }
        var settings = TargetSettings(kind: kind)
        _ = ConfigKey.read(ConfigKeys.target, from: table, into: &settings, self)
        if !table.has("mfa_factors") { settings.mfaFactors = Self.mfaFactors(carriedBy: settings) }
        if settings.retryInitial > settings.retryCeiling {
            table.report("retry_initial", "must not exceed `\(table.keyPath("retry_ceiling"))`")
        }
        if settings.retryInitial <= .zero { table.report("retry_initial", "must be longer than 0s") }
        switch kind {
        case .scim, .webhook:
            if settings.url == nil && !table.has("url") { table.missing("url") }
        case .sql:
            if settings.database == nil && !table.has("database") { table.missing("database") }
            if settings.statements.isEmpty {
                table.report("statements", "must list at least one SQL statement for `kind = \"sql\"`")
            }
            if let query = settings.lookupQuery, !query.contains(":identifier") {
                table.report("lookup_query", "must use the named parameter `:identifier`")
            }
            if let query = settings.existingQuery {
                // A new platform's store has no legacy-id column of Ferry's: any
                // carried field may find the user (`:username`, `:email`, …).
                if !query.contains(":") {
                    table.report(
                        "existing_query", "must use a named parameter such as `:legacy_id`, `:username` or `:email`")
                }
            } else if table.has("database") {
                table.report(
                    "existing_query",
                    "is required for `kind = \"sql\"`: without it a retried job cannot tell its own user from a stranger"
                )
            }
        }
        return settings
    }

    /// Without `mfa_factors`, what the target kind can carry: Ferry's SCIM
    /// extension holds TOTP and recovery codes; a webhook receives everything;
    /// SQL holds the factors it has statements for.
    static func mfaFactors(carriedBy settings: TargetSettings) -> [MFAFactorKind] {
        switch settings.kind {
        case .scim: return [.recoveryCodes, .totp]
        case .webhook: return MFAFactorKind.allCases.sorted()
        case .sql:
            let statements: [MFAFactorKind: [String]] = [
                .totp: settings.totpStatements, .hotp: settings.hotpStatements,
                .recoveryCodes: settings.recoveryCodeStatements, .webauthn: settings.webauthnStatements,
                .phone: settings.phoneStatements,
            ]
            return statements.filter { !$0.value.isEmpty }.keys.sorted()
        }
    }

    private func migration(_ table: TableReader?) -> MigrationSettings? {
        var settings = MigrationSettings()
        guard let table else { return settings }
        defer { table.finish() }
        _ = ConfigKey.read(ConfigKeys.migration, from: table, into: &settings, self)
        if let rehash = table.table("rehash") {
            defer { rehash.finish() }
            _ = ConfigKey.read(ConfigKeys.rehash, from: rehash, into: &settings.rehash, self)
            // What the file leaves unset is what the chosen format's platform
            // writes itself, so its code keeps Ferry's hash rather than rewriting it.
            let defaults = RehashParameters.defaults(for: settings.rehash.format)
            for (key, path) in ConfigKeys.formatDefaultedRehashKeys where !rehash.has(key) {
                settings.rehash.parameters[keyPath: path] = defaults[keyPath: path]
            }
            if let refusal = settings.rehash.format.refusal(of: settings.rehash.scheme) {
                rehash.report(
                    "format",
                    "\"\(settings.rehash.format.rawValue)\" cannot hold \"\(settings.rehash.scheme.rawValue)\" hashes: \(refusal)"
                )
            }
        }
        return settings
    }

    private func route(_ table: TableReader) -> RouteSettings? {
        defer { table.finish() }
        var settings = RouteSettings()
        return ConfigKey.read(ConfigKeys.route, from: table, into: &settings, self) ? settings : nil
    }

    /// `methods`, `path` or `path_prefix`, `host`, `header`, `cookie`.
    func routeMatch(_ table: TableReader) -> RouteMatch {
        let methods = (table.stringArray("methods") ?? []).map { $0.uppercased() }
        for method in methods where method.isEmpty || !method.allSatisfy({ $0.isLetter && $0.isASCII }) {
            table.report("methods", "must list HTTP methods such as \"GET\" or \"POST\", found \"\(method)\"")
        }
        let exact = table.string("path")
        let prefix = table.string("path_prefix")
        var path: RouteMatch.PathMatch?
        switch (exact, prefix) {
        case (let exact?, nil): path = .exact(exact)
        case (nil, let prefix?): path = .prefix(prefix)
        case (nil, nil): path = nil
        case (_?, _?): table.report("path_prefix", "cannot be combined with `\(table.keyPath("path"))`; use one")
        }
        for (key, value) in [("path", exact), ("path_prefix", prefix)] {
            if let value, !value.hasPrefix("/") { table.report(key, "must start with \"/\", found \"\(value)\"") }
        }
        return RouteMatch(
            methods: methods, path: path, host: table.string("host")?.lowercased(), header: table.string("header"),
            cookie: table.string("cookie"))
    }

    /// `later_step_fields`: never the password field (a body with it is a
    /// login, judged as one).
    private func laterStepFields(_ table: TableReader, password: String) -> [String] {
        let fields = table.stringArray("later_step_fields") ?? []
        if fields.contains(password) {
            table.report(
                "later_step_fields", "must not list the password field `\(password)`: a body with it is a login")
        }
        if fields.contains(where: \.isEmpty) { table.report("later_step_fields", "must not list an empty field name") }
        return fields.filter { !$0.isEmpty && $0 != password }
    }

    /// `action` and the keys it brings; nil when it is missing or unknown.
    func routeAction(_ table: TableReader) -> RouteAction? {
        guard let actionWord = table.deciding("action", as: ActionWord.self) else { return nil }
        switch actionWord {
        case .proxy:
            return table.requiredString("upstream").map { .proxy(upstream: $0) }
        case .login:
            let password = table.string("password_field") ?? "password"
            return .login(
                LoginSettings(
                    bodyFormat: table.choice("body_format", default: .auto),
                    identifierField: table.string("identifier_field") ?? "username",
                    passwordField: password,
                    maxBodySize: table.byteSize("max_body_size", in: 64...(1 << 20), default: 16 << 10),
                    newPlatformShape: loginShape(table), laterStepFields: laterStepFields(table, password: password)))
        case .byUser, .signup:
            let fields = table.stringArray("identifier_fields") ?? ["username", "email"]
            if fields.isEmpty { table.report("identifier_fields", "must name at least one field") }
            let settings = UserRouteSettings(
                bodyFormat: table.choice("body_format", default: .auto), identifierFields: fields,
                maxBodySize: table.byteSize("max_body_size", in: 64...(1 << 20), default: 16 << 10),
                onLegacyIdentifier: actionWord == .signup
                    ? table.choice("on_legacy_identifier", default: .refuse) : .refuse)
            return actionWord == .signup ? .signup(settings) : .byUser(settings)
        }
    }

    /// The `new_*` keys of a login route; present only when one of them is set.
    private func loginShape(_ table: TableReader) -> LoginShape? {
        let keys = ["new_path", "new_body_format", "new_identifier_field", "new_password_field", "new_static_fields"]
        guard keys.contains(where: table.has) else { return nil }
        let path = table.string("new_path")
        if let path, !path.hasPrefix("/") { table.report("new_path", "must start with \"/\", found \"\(path)\"") }
        let format = table.choice("new_body_format", default: LoginShape.Format.form)
        let fallbackIdentifier = format == .json ? "/username" : "username"
        let fallbackPassword = format == .json ? "/password" : "password"
        let shape = LoginShape(
            path: path, bodyFormat: format,
            identifierField: table.string("new_identifier_field") ?? fallbackIdentifier,
            passwordField: table.string("new_password_field") ?? fallbackPassword,
            staticFields: table.stringTable("new_static_fields") ?? [:])
        if format == .json {
            for (key, field) in [
                ("new_identifier_field", shape.identifierField), ("new_password_field", shape.passwordField),
            ]
            where !field.hasPrefix("/") {
                table.report(key, "must be a JSON pointer such as \"/user/email\" when `new_body_format = \"json\"`")
            }
        }
        return shape
    }

    private enum ActionWord: String, CaseIterable {
        case proxy, login
        case byUser = "by_user"
        case signup
    }

    // MARK: Checks across sections

    private func checkRouteNames(_ routes: [RouteSettings]) {
        var firstUse: [String: Int] = [:]
        for (index, route) in routes.enumerated() {
            let path = "route[\(index)]"
            if let earlier = firstUse[route.name] {
                log.report("\(path).name", "key `\(path).name` \"\(route.name)\" is already used by route[\(earlier)]")
            } else {
                firstUse[route.name] = index
            }
        }
    }

    struct UpstreamReference {
        var key: String
        var name: String
    }

    struct WrittenSections {
        var upstreams: Set<String>
        var legacy: Bool
        var target: Bool
    }

    /// Every upstream a route or a migration role names must be defined. One
    /// missing name is one error, at its first use, listing the other uses;
    /// a name whose table is written but invalid has its own error already.
    private func checkUpstreamReferences(
        _ references: [UpstreamReference], written: Set<String>, defined: [String: UpstreamSettings]
    ) {
        var reported: Set<String> = []
        for reference in references
        where defined[reference.name] == nil && !written.contains(reference.name)
            && !reported.contains(reference.name)
        {
            reported.insert(reference.name)
            let others = references.filter { $0.name == reference.name && $0.key != reference.key }.map {
                "`\($0.key)`"
            }
            var message =
                "key `\(reference.key)` names upstream \"\(reference.name)\", which is not defined (\(describeDefined(defined)))"
            if !others.isEmpty {
                message += "; \(others.joined(separator: ", ")) name\(others.count == 1 ? "s" : "") it too"
            }
            log.report(reference.key, message)
        }
    }

    private func describeDefined(_ upstreams: [String: UpstreamSettings]) -> String {
        upstreams.isEmpty ? "none are defined" : "defined: \(upstreams.keys.sorted().joined(separator: ", "))"
    }

    /// The upstreams and sections the migration roles need must exist.
    private func checkRoles(_ config: ProxyConfig, written: WrittenSections) {
        let migrating = config.migration.mode != .off
        // A section that is written but invalid has its own error already.
        let legacyMissing = config.legacy == nil && !written.legacy
        for route in config.routes where legacyMissing {
            if case .signup = route.action {
                log.report(
                    "route", "route \"\(route.name)\" checks sign-ups against legacy users: `[legacy]` is required")
            }
        }
        if config.migration.unknownIdentifier == .lookup {
            switch config.target?.kind {
            case .sql where config.target?.lookupQuery == nil:
                log.report(
                    "migration.unknown_identifier",
                    "`migration.unknown_identifier = \"lookup\"` asks the target whether it holds the user: set `target.lookup_query`"
                )
            case .webhook:
                log.report(
                    "migration.unknown_identifier",
                    "`migration.unknown_identifier = \"lookup\"` needs a target that can be asked (scim, or sql with `lookup_query`); a webhook cannot"
                )
            case nil where !written.target:
                log.report(
                    "migration.unknown_identifier",
                    "`migration.unknown_identifier = \"lookup\"` needs a `[target]` to ask")
            default: break
            }
        }
        if config.sessions.storeQuery != nil && config.sessions.storeDatabase == nil && legacyMissing {
            log.report(
                "sessions.store_query",
                "`sessions.store_database` or `[legacy]` is required to run `sessions.store_query`")
        }
        if migrating {
            if legacyMissing {
                log.report("migration.mode", "`[legacy]` is required when `migration.mode` is not \"off\"")
            }
            if config.migration.mode == .migrate && config.target == nil && !written.target {
                log.report("migration.mode", "`[target]` is required when `migration.mode = \"migrate\"`")
            }
            if config.migration.mode == .migrate, let target = config.target {
                switch target.kind {
                case .scim where target.token == nil:
                    log.report(
                        "target.kind",
                        "`target.token_file` or `target.token_env` is required when `migration.mode = \"migrate\"` with a SCIM target"
                    )
                case .webhook where target.signingKey == nil:
                    log.report(
                        "target.kind",
                        "`target.signing_key_file` or `target.signing_key_env` is required when `migration.mode = \"migrate\"` with a webhook target"
                    )
                default: break
                }
            }
            if config.migration.mode == .migrate && config.state.encryptionKey == nil {
                log.report(
                    "migration.mode",
                    "`state.encryption_key_file` or `state.encryption_key_env` is required when `migration.mode = \"migrate\"` (the outbox holds MFA secrets)"
                )
            }
        }
        if config.server.listen == config.admin.listen && config.server.listen.port != 0 {
            log.report(
                "admin.listen", "key `admin.listen` must differ from `server.listen` (both are \(config.admin.listen))")
        }
    }

    // MARK: Value helpers

    func listenAddress(_ table: TableReader, _ key: String, _ text: String) -> ListenAddress? {
        guard let address = ListenAddress(parsing: text) else {
            table.report(
                key, "must be \"host:port\" (\"[::1]:port\" for IPv6) with a port from 0 to 65535, found \"\(text)\"")
            return nil
        }
        return address
    }

    func endpoint(_ table: TableReader, _ key: String, _ text: String) -> EndpointURL? {
        guard let url = EndpointURL(parsing: text) else {
            table.report(key, "must be an http:// or https:// URL with a host, found \"\(text)\"")
            return nil
        }
        return url
    }

    func storeLocation(_ table: TableReader, _ key: String, _ text: String) -> StoreLocation? {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            return postgresLocation(table, key, text).map(StoreLocation.postgres)
        }
        if text.hasPrefix("mysql://") || text.hasPrefix("mariadb://") {
            return mysqlLocation(table, key, text).map(StoreLocation.mysql)
        }
        guard text.hasPrefix("sqlite://"), text.count > "sqlite://".count else {
            table.report(
                key,
                "must be a \"sqlite://PATH\", \"postgres://USER@HOST/DATABASE\" or \"mysql://USER@HOST/DATABASE\" URL")
            return nil
        }
        return .sqlite(path: resolvePath(String(text.dropFirst("sqlite://".count))))
    }

    /// The URL parsed, its files resolved against the config's folder and its
    /// password read. Errors never repeat the URL: it may be all a typo away
    /// from a secret.
    func postgresLocation(_ table: TableReader, _ key: String, _ text: String) -> PostgresLocation? {
        serverLocation(table, key, PostgresLocation.parse(text))
    }

    func mysqlLocation(_ table: TableReader, _ key: String, _ text: String) -> MySQLLocation? {
        serverLocation(table, key, MySQLLocation.parse(text))
    }

    /// A parsed server URL with its CA file resolved and its password read.
    private func serverLocation<Location: DatabaseServerLocation>(
        _ table: TableReader, _ key: String, _ parsed: Result<Location, PostgresLocationError>
    ) -> Location? {
        switch parsed {
        case .failure(let error):
            table.report(key, error.message)
            return nil
        case .success(var location):
            location.caFile = location.caFile.map(resolvePath)
            guard let (source, password) = serverPassword(table, key, location.passwordSource) else { return nil }
            (location.passwordSource, location.password) = (source, password)
            return location
        }
    }

    /// The password a database URL names, its file resolved against the
    /// config's folder; nil (reported) when it cannot be read.
    private func serverPassword(_ table: TableReader, _ key: String, _ named: PostgresLocation.PasswordSource?) -> (
        PostgresLocation.PasswordSource?, Secret?
    )? {
        let source: Secret.Source
        var resolved = named
        switch named {
        case .file(let path)?:
            resolved = .file(resolvePath(path))
            source = .file(resolvePath(path))
        case .environment(let name)?: source = .environment(name)
        case nil: return (nil, nil)
        }
        switch Secret.read(source, environment: environment) {
        case .success(let secret): return (resolved, secret)
        case .failure(let error):
            table.report(key, "password \(error.message)")
            return nil
        }
    }

    /// `<name>_file` or `<name>_env`, never both, never inline.
    func secret(_ table: TableReader, _ name: String) -> Secret? {
        let file = table.string("\(name)_file")
        let variable = table.string("\(name)_env")
        if table.has(name) {
            table.report(
                name, "must not hold a secret inline; use `\(table.keyPath(name))_file` or `\(table.keyPath(name))_env`"
            )
        }
        let source: Secret.Source
        let key: String
        switch (file, variable) {
        case (nil, nil): return nil
        case (_?, _?):
            table.report("\(name)_env", "cannot be combined with `\(table.keyPath("\(name)_file"))`; use one")
            return nil
        case (let file?, nil):
            source = .file(resolvePath(file))
            key = "\(name)_file"
        case (nil, let variable?):
            source = .environment(variable)
            key = "\(name)_env"
        }
        switch Secret.read(source, environment: environment) {
        case .success(let secret): return secret
        case .failure(let error):
            table.report(key, error.message)
            return nil
        }
    }

    func resolvePath(_ path: String) -> String {
        if path.hasPrefix("/") || path == ":memory:" { return path }
        return URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).standardizedFileURL.path
    }

    func isName(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") && $0.isASCII }
    }
}
