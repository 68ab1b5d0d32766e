import Foundation
import PasswordHashes

extension ProxyConfig {
    /// Reads, parses and validates the file at `path`.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigError) -> ProxyConfig
    {
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
        return try parse(bytes: Array(data), file: path, baseDirectory: directory, environment: environment)
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
        let migration = migration(root.table("migration"))
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
        let listen = table.requiredString("listen").flatMap { listenAddress(table, "listen", $0) }
        let cert = table.string("tls_cert_file").map(resolvePath)
        let key = table.string("tls_key_file").map(resolvePath)
        var tls: TLSFiles?
        switch (cert, key) {
        case (let cert?, let key?):
            tls = TLSFiles(certificateFile: cert, privateKeyFile: key)
            for (name, path) in [("tls_cert_file", cert), ("tls_key_file", key)]
            where !FileManager.default.isReadableFile(atPath: path) {
                table.report(name, "names \"\(path)\", which cannot be read")
            }
        case (nil, nil): tls = nil
        case (_?, nil): table.report("tls_key_file", "is required when `\(table.keyPath("tls_cert_file"))` is set")
        case (nil, _?): table.report("tls_cert_file", "is required when `\(table.keyPath("tls_key_file"))` is set")
        }
        // HTTP/2 is negotiated inside TLS; asking for it on plain HTTP is a mistake
        // worth a message rather than a listener that silently speaks HTTP/1.1.
        let http2 = table.bool("http2", default: false)
        if http2, tls == nil, cert == nil, key == nil {
            table.report(
                "http2",
                "needs `\(table.keyPath("tls_cert_file"))` and `\(table.keyPath("tls_key_file"))`: HTTP/2 is offered through TLS (ALPN)"
            )
        }
        let settings = ServerSettings(
            listen: listen ?? ListenAddress(host: "0.0.0.0", port: 0),
            tls: tls,
            http2: http2,
            caseInsensitivePaths: table.bool("case_insensitive_paths", default: false),
            maxHeaderSize: table.byteSize("max_header_size", in: 1024...(1 << 20), default: 32 << 10),
            maxBodySize: table.byteSize("max_body_size", in: 1024...(1 << 30), default: 10 << 20),
            idleTimeout: table.duration("idle_timeout", default: .seconds(60)),
            requestTimeout: table.duration("request_timeout", default: .seconds(60)),
            shutdownTimeout: table.duration("shutdown_timeout", default: .seconds(30)))
        return listen == nil ? nil : settings
    }

    private func admin(_ table: TableReader?) -> AdminSettings? {
        defer { table?.finish() }
        var listen = ListenAddress(host: "127.0.0.1", port: 9090)
        if let table, let text = table.string("listen") {
            guard let address = listenAddress(table, "listen", text) else { return nil }
            listen = address
        }
        return AdminSettings(listen: listen, token: table.flatMap { secret($0, "token") })
    }

    private func state(_ table: TableReader?) -> StateSettings? {
        defer { table?.finish() }
        var store = StoreLocation.sqlite(path: resolvePath("ferry-state.db"))
        if let table, let text = table.string("url") {
            guard let location = storeLocation(table, "url", text) else { return nil }
            store = location
        }
        let key = table.flatMap { secret($0, "encryption_key") }
        if let table, let key, EncryptionKey(key.value) == nil {
            let name = table.has("encryption_key_file") ? "encryption_key_file" : "encryption_key_env"
            table.report(name, "must hold a 32-byte key as 64 hex characters or 44 base64 characters (\(key) does not)")
        }
        let auditKey = table.flatMap { secret($0, "audit_key") }
        if let table, let auditKey, EncryptionKey(auditKey.value) == nil {
            let name = table.has("audit_key_file") ? "audit_key_file" : "audit_key_env"
            table.report(
                name,
                "must hold a 32-byte Ed25519 seed as 64 hex characters or 44 base64 characters (\(auditKey) does not)")
        }
        var settings = StateSettings(
            store: store,
            busyTimeout: table?.duration("busy_timeout", default: .milliseconds(500)) ?? .milliseconds(500),
            encryptionKey: key,
            onUnavailable: table?.choice("on_unavailable", default: .legacy) ?? .legacy,
            auditKey: auditKey)
        if case .sqlite(let path) = store { settings.auditCheckpointFile = path + ".checkpoints" }
        if let file = table?.string("audit_checkpoint_file") { settings.auditCheckpointFile = resolvePath(file) }
        settings.auditCheckpointEvery =
            table?.integer("audit_checkpoint_every", in: 1...1_000_000, default: settings.auditCheckpointEvery)
            ?? settings.auditCheckpointEvery
        return settings
    }

    private func upstream(_ name: String, _ table: TableReader) -> UpstreamSettings? {
        defer { table.finish() }
        if !isName(name) {
            log.report(table.path, "upstream name \"\(name)\" must use only letters, digits, `-` and `_`")
        }
        let url = table.requiredString("url").flatMap { endpoint(table, "url", $0) }
        let settings = UpstreamSettings(
            name: name,
            url: url ?? EndpointURL(parsing: "http://invalid")!,
            connectTimeout: table.duration("connect_timeout", default: .seconds(5)),
            responseTimeout: table.duration("response_timeout", default: .seconds(60)),
            poolSize: table.integer("pool_size", in: 1...10_000, default: 64),
            hostHeader: table.choice("host_header", default: HostHeaderPolicy.preserve),
            tlsVerify: table.bool("tls_verify", default: true),
            caFile: table.string("ca_file").map(resolvePath),
            sessionCookies: table.stringArray("session_cookies") ?? [],
            bearerPrefixes: table.stringArray("bearer_prefixes") ?? [],
            jwtIssuers: table.stringArray("jwt_issuers") ?? [])
        return url == nil ? nil : settings
    }

    private func legacySource(_ table: TableReader) -> LegacySourceSettings? {
        defer { table.finish() }
        let database = table.requiredString("database").flatMap { storeLocation(table, "database", $0) }
        let userQuery = table.requiredString("user_query")
        if let userQuery, !userQuery.contains(":identifier") {
            table.report("user_query", "must use the named parameter `:identifier`")
        } else if let userQuery, !userQuery.contains("*"),
            case let missing = ["legacy_id", "password_hash"].filter({ !userQuery.lowercased().contains($0) }),
            !missing.isEmpty
        {
            // Without them no login can be verified; say so now, not at the first
            // login. (`SELECT *` may hold them: only --connect can tell.)
            table.report(
                "user_query",
                "must return \(missing.map { "`\($0)`" }.joined(separator: " and ")) (alias the columns, e.g. `pw AS password_hash`); `ferry check-config --connect` also checks the columns exist"
            )
        }
        let mfaQuery = table.string("mfa_query")
        let consentsQuery = table.string("consents_query")
        for (key, query) in [("mfa_query", mfaQuery), ("consents_query", consentsQuery)] {
            if let query, !query.contains(":legacy_id") {
                table.report(key, "must use the named parameter `:legacy_id`")
            }
        }
        let allowPlaintext = table.bool("allow_plaintext", default: false)
        let hashFormat = table.table("hash").flatMap(configuredHash)
        let limits = table.table("limits").map(hashLimits) ?? HashCostLimits()
        let activeStatuses = table.stringArray("active_statuses") ?? ["active"]
        if activeStatuses.isEmpty {
            table.report("active_statuses", "must list at least one status value of an active user")
        }
        let totpEncoding = table.choice("totp_secret_encoding", default: LegacySourceSettings.TOTPSecretEncoding.base32)
        let allUsersQuery = table.string("all_users_query")
        if let allUsersQuery, allUsersQuery.range(of: #":[A-Za-z_]+"#, options: .regularExpression) != nil {
            table.report("all_users_query", "takes no parameters; it lists every legacy user")
        }
        guard let database, let userQuery else { return nil }
        return LegacySourceSettings(
            database: database, userQuery: userQuery, mfaQuery: mfaQuery, consentsQuery: consentsQuery,
            allowPlaintext: allowPlaintext, hashFormat: hashFormat, limits: limits, activeStatuses: activeStatuses,
            totpSecretEncoding: totpEncoding, allUsersQuery: allUsersQuery)
    }

    private func sessions(_ table: TableReader) -> SessionSettings {
        defer { table.finish() }
        var settings = SessionSettings()
        settings.track = table.bool("track", default: true)
        settings.storeQuery = table.string("store_query")
        if let query = settings.storeQuery, !query.contains(":session_id") {
            table.report("store_query", "must use the named parameter `:session_id` or `:session_id_sha256`")
        }
        settings.storeDatabase = table.string("store_database").flatMap { storeLocation(table, "store_database", $0) }
        settings.jwksFile = table.string("jwks_file").map(resolvePath)
        if let path = settings.jwksFile, !FileManager.default.isReadableFile(atPath: path) {
            table.report("jwks_file", "names \"\(path)\", which cannot be read")
        }
        settings.jwksURL = table.string("jwks_url").flatMap { endpoint(table, "jwks_url", $0) }
        if settings.jwksFile != nil && table.has("jwks_url") {
            table.report("jwks_url", "cannot be set together with `sessions.jwks_file`; set one of them")
        }
        settings.jwksRefresh = table.duration("jwks_refresh", default: settings.jwksRefresh, max: .seconds(86_400))
        if settings.jwksRefresh < .seconds(60) {
            table.report("jwks_refresh", "must be at least 1m (legacy's key server is asked at most once a minute)")
            settings.jwksRefresh = .seconds(60)
        }
        settings.retention = table.duration("retention", default: settings.retention, max: .seconds(86_400 * 365))
        return settings
    }

    private func loginGuard(_ table: TableReader) -> LoginGuardSettings {
        defer { table.finish() }
        var settings = LoginGuardSettings()
        settings.enabled = table.bool("enabled", default: settings.enabled)
        settings.identifierFailures = table.integer(
            "identifier_failures", in: 1...1_000_000, default: settings.identifierFailures)
        settings.identifierWindow = table.duration(
            "identifier_window", default: settings.identifierWindow, max: .seconds(86_400 * 7))
        settings.clientFailures = table.integer("client_failures", in: 1...1_000_000, default: settings.clientFailures)
        settings.clientWindow = table.duration(
            "client_window", default: settings.clientWindow, max: .seconds(86_400 * 7))
        for key in ["identifier_window", "client_window"] where table.has(key) {
            let value = key == "identifier_window" ? settings.identifierWindow : settings.clientWindow
            if value < .seconds(1) { table.report(key, "must be at least 1s") }
        }
        settings.overLimit = table.choice("over_limit", default: settings.overLimit)
        if let header = table.string("client_address_header") {
            if header.isEmpty || !header.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
                table.report("client_address_header", "must be a header name such as \"X-Forwarded-For\"")
            } else {
                settings.clientAddressHeader = header
            }
        }
        if table.has("legacy_failure_statuses") {
            settings.legacyFailureStatuses = table.integerArray("legacy_failure_statuses", in: 400...599) ?? []
        }
        return settings
    }

    private func hashLimits(_ table: TableReader) -> HashCostLimits {
        defer { table.finish() }
        var limits = HashCostLimits()
        limits.maxBcryptCost = table.integer("max_bcrypt_cost", in: 4...31, default: limits.maxBcryptCost)
        limits.maxIterations = table.integer("max_iterations", in: 1...1_000_000_000, default: limits.maxIterations)
        limits.maxPHPassLog2 = table.integer("max_phpass_log2", in: 7...30, default: limits.maxPHPassLog2)
        limits.maxScryptMemory = table.byteSize(
            "max_scrypt_memory", in: (1 << 20)...(16 << 30), default: limits.maxScryptMemory)
        limits.maxArgon2Memory = table.byteSize(
            "max_argon2_memory", in: (1 << 20)...(16 << 30), default: limits.maxArgon2Memory)
        limits.maxArgon2Passes = table.integer("max_argon2_passes", in: 1...1000, default: limits.maxArgon2Passes)
        limits.maxParallelism = table.integer("max_parallelism", in: 1...256, default: limits.maxParallelism)
        return limits
    }

    private func configuredHash(_ table: TableReader) -> ConfiguredHashFormat? {
        defer { table.finish() }
        let position = table.choice("salt_position", default: ConfiguredHashFormat.SaltPosition.prefix)
        let template = table.string("template")
        if position == .template {
            if let template {
                if !template.contains("{PASSWORD}") {
                    table.report("template", "must contain {PASSWORD}, found \"\(template)\"")
                }
            } else {
                table.report("template", "is required when `salt_position = \"template\"`")
            }
        } else if template != nil {
            table.report("template", "is only used with `salt_position = \"template\"`")
        }
        let format = ConfiguredHashFormat(
            digest: table.choice("digest", default: .sha256),
            saltPosition: position,
            template: template,
            saltEncoding: table.choice("salt_encoding", default: .utf8),
            hashEncoding: table.choice("hash_encoding", default: .hex),
            passwordEncoding: table.choice("password_encoding", default: .utf8),
            pepper: secret(table, "pepper"),
            iterations: table.integer("iterations", in: 1...10_000_000, default: 1))
        guard table.has("digest") else {
            table.missing("digest")
            return nil
        }
        return format
    }

    private func target(_ table: TableReader) -> TargetSettings? {
        defer { table.finish() }
        guard let kind = table.deciding("kind", as: TargetSettings.TargetKind.self) else { return nil }
        let url = table.string("url").flatMap { endpoint(table, "url", $0) }
        let database = table.string("database").flatMap { storeLocation(table, "database", $0) }
        let statements = table.stringArray("statements") ?? []
        var settings = TargetSettings(
            kind: kind, url: url, token: secret(table, "token"), signingKey: secret(table, "signing_key"),
            database: database, statements: statements,
            totpStatements: table.stringArray("totp_statements") ?? [],
            recoveryCodeStatements: table.stringArray("recovery_code_statements") ?? [],
            consentStatements: table.stringArray("consent_statements") ?? [],
            existingQuery: table.string("existing_query"),
            timeout: table.duration("timeout", default: .seconds(10)), mfaFactors: [],
            retryInitial: table.duration("retry_initial", default: .seconds(1)),
            retryCeiling: table.duration("retry_ceiling", default: .seconds(300)))
        settings.mfaFactors = mfaFactors(table, settings)
        if settings.retryInitial > settings.retryCeiling {
            table.report("retry_initial", "must not exceed `\(table.keyPath("retry_ceiling"))`")
        }
        if settings.retryInitial <= .zero { table.report("retry_initial", "must be longer than 0s") }
        switch kind {
        case .scim:
            if url == nil && !table.has("url") { table.missing("url") }
        case .webhook:
            if url == nil && !table.has("url") { table.missing("url") }
        case .sql:
            if database == nil && !table.has("database") { table.missing("database") }
            if statements.isEmpty {
                table.report("statements", "must list at least one SQL statement for `kind = \"sql\"`")
            }
            if let query = settings.existingQuery {
                if !query.contains(":legacy_id") {
                    table.report("existing_query", "must use the named parameter `:legacy_id`")
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

    /// Explicit `mfa_factors`, or what the target kind can carry: Ferry's SCIM
    /// extension holds TOTP and recovery codes; a webhook receives everything;
    /// SQL holds the factors it has statements for.
    private func mfaFactors(_ table: TableReader, _ settings: TargetSettings) -> [MFAFactorKind] {
        if let words = table.stringArray("mfa_factors") {
            var kinds = Set<MFAFactorKind>()
            for word in words {
                if let kind = MFAFactorKind(rawValue: word) {
                    kinds.insert(kind)
                } else {
                    let allowed = MFAFactorKind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                    table.report("mfa_factors", "may contain \(allowed), found \"\(word)\"")
                }
            }
            return kinds.sorted()
        }
        switch settings.kind {
        case .scim: return [.recoveryCodes, .totp]
        case .webhook: return MFAFactorKind.allCases.sorted()
        case .sql:
            var kinds = Set<MFAFactorKind>()
            if !settings.totpStatements.isEmpty { kinds.insert(.totp) }
            if !settings.recoveryCodeStatements.isEmpty { kinds.insert(.recoveryCodes) }
            return kinds.sorted()
        }
    }

    private func migration(_ table: TableReader?) -> MigrationSettings? {
        defer { table?.finish() }
        guard let table else {
            return MigrationSettings(
                mode: .off, rolloutPercent: 0, rolloutSalt: "", ratePerSecond: 20, burst: 40, hashWorkers: 0,
                hashQueueSize: 256, normalization: [.trim, .casefold, .nfkc], allow: [], deny: [],
                rehash: RehashSettings(), unsupportedMFA: .requireReenroll, legacyUpstream: "legacy",
                newUpstream: "new")
        }
        var normalization: [MigrationSettings.IdentifierNormalization] = [.trim, .casefold, .nfkc]
        if let words = table.stringArray("normalize_identifier") {
            normalization = []
            for word in words {
                if let step = MigrationSettings.IdentifierNormalization(rawValue: word) {
                    normalization.append(step)
                } else {
                    table.report(
                        "normalize_identifier", "may contain \"trim\", \"casefold\" and \"nfkc\", found \"\(word)\"")
                }
            }
        }
        return MigrationSettings(
            mode: table.choice("mode", default: .off),
            rolloutPercent: table.number("rollout_percent", in: 0...100, decimals: 2, default: 0),
            rolloutSalt: table.string("rollout_salt") ?? "",
            ratePerSecond: table.number("rate_per_second", in: 0...1_000_000, default: 20),
            burst: table.integer("burst", in: 1...1_000_000, default: 40),
            hashWorkers: table.integer("hash_workers", in: 0...1024, default: 0),
            hashQueueSize: table.integer("hash_queue_size", in: 1...1_000_000, default: 256),
            normalization: normalization,
            allow: table.stringArray("allow") ?? [],
            deny: table.stringArray("deny") ?? [],
            rehash: table.table("rehash").map(rehash) ?? RehashSettings(),
            unsupportedMFA: table.choice("unsupported_mfa", default: .requireReenroll),
            legacyUpstream: table.string("legacy_upstream") ?? "legacy",
            newUpstream: table.string("new_upstream") ?? "new")
    }

    private func rehash(_ table: TableReader) -> RehashSettings {
        defer { table.finish() }
        var settings = RehashSettings()
        settings.scheme = table.choice("scheme", default: settings.scheme)
        settings.format = table.choice("format", default: settings.format)
        settings.argon2MemoryKiB =
            table.byteSize("argon2_memory", in: (64 << 10)...(4 << 30), default: settings.argon2MemoryKiB << 10) >> 10
        settings.argon2Passes = table.integer("argon2_passes", in: 1...64, default: settings.argon2Passes)
        settings.argon2Parallelism = table.integer(
            "argon2_parallelism", in: 1...64, default: settings.argon2Parallelism)
        settings.bcryptCost = table.integer("bcrypt_cost", in: 10...31, default: settings.bcryptCost)
        settings.pbkdf2Iterations = table.integer(
            "pbkdf2_iterations", in: 100_000...100_000_000, default: settings.pbkdf2Iterations)
        settings.scryptLog2N = table.integer("scrypt_log2_n", in: 14...30, default: settings.scryptLog2N)
        settings.scryptR = table.integer("scrypt_r", in: 1...64, default: settings.scryptR)
        settings.scryptP = table.integer("scrypt_p", in: 1...64, default: settings.scryptP)
        if !settings.format.holds(settings.scheme) {
            table.report(
                "format",
                "\"\(settings.format.rawValue)\" cannot hold \"\(settings.scheme.rawValue)\" hashes; choose another scheme or format"
            )
        }
        return settings
    }

    private func route(_ table: TableReader) -> RouteSettings? {
        defer { table.finish() }
        let name = table.requiredString("name")
        if let name, !isName(name) {
            table.report("name", "must use only letters, digits, `-` and `_`, found \"\(name)\"")
        }
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
        let match = RouteMatch(
            methods: methods, path: path, host: table.string("host")?.lowercased(), header: table.string("header"),
            cookie: table.string("cookie"))

        guard let actionWord = table.deciding("action", as: ActionWord.self) else { return nil }
        let affinity = table.bool("session_affinity", default: true)
        let action: RouteAction
        switch actionWord {
        case .proxy:
            guard let upstream = table.requiredString("upstream") else { return nil }
            action = .proxy(upstream: upstream)
        case .login:
            action = .login(
                LoginSettings(
                    bodyFormat: table.choice("body_format", default: .auto),
                    identifierField: table.string("identifier_field") ?? "username",
                    passwordField: table.string("password_field") ?? "password",
                    maxBodySize: table.byteSize("max_body_size", in: 64...(1 << 20), default: 16 << 10),
                    newPlatformShape: loginShape(table)))
        case .byUser, .signup:
            let fields = table.stringArray("identifier_fields") ?? ["username", "email"]
            if fields.isEmpty { table.report("identifier_fields", "must name at least one field") }
            let settings = UserRouteSettings(
                bodyFormat: table.choice("body_format", default: .auto), identifierFields: fields,
                maxBodySize: table.byteSize("max_body_size", in: 64...(1 << 20), default: 16 << 10),
                onLegacyIdentifier: actionWord == .signup
                    ? table.choice("on_legacy_identifier", default: .refuse) : .refuse)
            action = actionWord == .signup ? .signup(settings) : .byUser(settings)
        }
        guard let name else { return nil }
        return RouteSettings(name: name, match: match, action: action, sessionAffinity: affinity)
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

    private func listenAddress(_ table: TableReader, _ key: String, _ text: String) -> ListenAddress? {
        guard let address = ListenAddress(parsing: text) else {
            table.report(
                key, "must be \"host:port\" (\"[::1]:port\" for IPv6) with a port from 0 to 65535, found \"\(text)\"")
            return nil
        }
        return address
    }

    private func endpoint(_ table: TableReader, _ key: String, _ text: String) -> EndpointURL? {
        guard let url = EndpointURL(parsing: text) else {
            table.report(key, "must be an http:// or https:// URL with a host, found \"\(text)\"")
            return nil
        }
        return url
    }

    private func storeLocation(_ table: TableReader, _ key: String, _ text: String) -> StoreLocation? {
        guard text.hasPrefix("sqlite://"), text.count > "sqlite://".count else {
            table.report(key, "must be a \"sqlite://PATH\" URL, found \"\(text)\"")
            return nil
        }
        return .sqlite(path: resolvePath(String(text.dropFirst("sqlite://".count))))
    }

    /// `<name>_file` or `<name>_env`, never both, never inline.
    private func secret(_ table: TableReader, _ name: String) -> Secret? {
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

    private func resolvePath(_ path: String) -> String {
        if path.hasPrefix("/") || path == ":memory:" { return path }
        return URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).standardizedFileURL.path
    }

    private func isName(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") && $0.isASCII }
    }
}
