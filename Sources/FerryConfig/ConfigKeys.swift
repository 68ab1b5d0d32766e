import PasswordHashes

/// Every key of `proxy.conf`, table by table. A new key is one line here (name,
/// model field, type and range, restart rule), its field and default in the
/// model, a line in `proxy.conf.example` and its entry in
/// `docs/configuration.md`; checks that involve several keys stay in
/// `ConfigBuilder`.
enum ConfigKeys {
    static let server: [ConfigKey<ServerSettings>] = [
        .field("listen", \.listen, .requiredListen, restart: .always),
        .field("tls_cert_file", \.tlsCertFile, .path, restart: .whenSetOrUnset),
        .field("tls_key_file", \.tlsKeyFile, .path),
        // The listener's protocols are chosen when it is bound.
        .field("http2", \.http2, .bool, restart: .always),
        .field("case_insensitive_paths", \.caseInsensitivePaths, .bool),
        // At most 56 KiB: with what Ferry adds (Host, Forwarded, X-Forwarded-*),
        // every head it forwards stays under the 60 KiB it may send upstream
        // (UpstreamHead in FerryProxy says why).
        .field("max_header_size", \.maxHeaderSize, .byteSize(in: 1024...(56 << 10))),
        .field("max_body_size", \.maxBodySize, .byteSize(in: 1024...(1 << 30))),
        .field("idle_timeout", \.idleTimeout, .duration()),
        .field("request_timeout", \.requestTimeout, .duration()),
        .field("shutdown_timeout", \.shutdownTimeout, .duration()),
    ]

    static let admin: [ConfigKey<AdminSettings>] = [
        .field("listen", \.listen, .listen, restart: .always),
        .field("token", \.token, .secret),
    ]

    static let state: [ConfigKey<StateSettings>] = [
        .field("url", \.store, .store, restart: .always),
        .field("busy_timeout", \.busyTimeout, .duration()),
        // The outbox's sealed jobs belong to the process that sealed them.
        .field("encryption_key", \.encryptionKey, .secret, restart: .always),
        .field("on_unavailable", \.onUnavailable, .choice),
        .field("audit_key", \.auditKey, .secret),
        .field("audit_checkpoint_file", \.auditCheckpointFile, .derivedPath),
        .field("audit_checkpoint_every", \.auditCheckpointEvery, .integer(in: 1...1_000_000)),
        .field("outbox_retention", \.outboxRetention, .duration()),
        .field("login_tally_retention", \.loginTallyRetention, .duration()),
    ]

    static let upstream: [ConfigKey<UpstreamSettings>] = [
        .field("url", \.url, .requiredURL),
        .field("connect_timeout", \.connectTimeout, .duration()),
        .field("response_timeout", \.responseTimeout, .duration()),
        .field("pool_size", \.poolSize, .integer(in: 1...10_000)),
        .field("host_header", \.hostHeader, .choice),
        .field("tls_verify", \.tlsVerify, .bool),
        .field("ca_file", \.caFile, .path),
        .field("session_cookies", \.sessionCookies, .strings),
        .field("bearer_prefixes", \.bearerPrefixes, .strings),
        .field("jwt_issuers", \.jwtIssuers, .strings),
    ]

    /// `database` and `user_query` are required with `kind = "sql"`
    /// (`ConfigBuilder.legacySource`).
    static let legacy: [ConfigKey<LegacySourceSettings>] = [
        .field("kind", \.kind, .choice),
        .field("verify", \.verify, .choice),
        .field("database", \.database, .store),
        .field("user_query", \.userQuery, .text),
        .field("mfa_query", \.mfaQuery, .optionalText),
        .field("consents_query", \.consentsQuery, .optionalText),
        .field("roles_query", \.rolesQuery, .optionalText),
        .field("allow_plaintext", \.allowPlaintext, .bool),
        .field("active_statuses", \.activeStatuses, .strings),
        .field("case_sensitive", \.caseSensitive, .bool),
        .field("totp_secret_encoding", \.totpSecretEncoding, .choice),
        .field("all_users_query", \.allUsersQuery, .optionalText),
    ]

    static let ldap: [ConfigKey<LDAPSourceSettings>] = [
        .field("url", \.url, .requiredText),
        .field("start_tls", \.startTLS, .bool),
        .field("ca_file", \.caFile, .path),
        .field("bind_dn", \.bindDN, .requiredText),
        .field("bind_password", \.bindPassword, .secret),
        .field("base_dn", \.baseDN, .requiredText),
        .field("user_filter", \.userFilter, .requiredText),
        .field("all_users_filter", \.allUsersFilter, .optionalText),
        .field("id_attribute", \.idAttribute, .text),
        .field("attributes", \.attributes, .parsedList(LDAPAttributeMapping.parse)),
        .field("verify", \.verify, .choice),
        .field("timeout", \.timeout, .duration(max: .seconds(120))),
        .field("page_size", \.pageSize, .integer(in: 1...10_000)),
    ]

    static let answer: [ConfigKey<LegacyAnswerSettings>] = [
        .field("mode", \.mode, .choice),
        .field("token_url", \.tokenURL, .url),
        .field("client_id", \.clientID, .text),
        .field("client_secret", \.clientSecret, .secret),
        .field("scope", \.scope, .optionalText),
        .field("accepted", \.accepted, .parsedList(AnswerRule.parse)),
        .field("rejected", \.rejected, .parsedList(AnswerRule.parse)),
        .field("audience", \.audience, .optionalText),
        .field("timeout", \.timeout, .duration(max: .seconds(120))),
    ]

    static let encryption: [ConfigKey<LegacySecretEncryption>] = [
        .field("scheme", \.scheme, .requiredChoice),
        .field("key", \.key, .secret),
        .field("key_derivation_salt", \.keyDerivationSalt, .secret),
    ]

    static let cognito: [ConfigKey<CognitoSourceSettings>] = [
        .field("region", \.region, .requiredText),
        .field("user_pool_id", \.userPoolID, .requiredText),
        .field("client_id", \.clientID, .requiredText),
        .field("client_secret", \.clientSecret, .secret),
        .field("access_key_id", \.accessKeyID, .requiredText),
        .field("secret_access_key", \.secretAccessKey, .secret),
        .field("session_token", \.sessionToken, .secret),
        .field("endpoint", \.endpoint, .url),
        .field("timeout", \.timeout, .duration(max: .seconds(120))),
    ]

    static let http: [ConfigKey<HTTPSourceSettings>] = [
        .field("user_url", \.userURL, .requiredText),
        .field("user_pointer", \.userPointer, .text),
        .field("roles_url", \.rolesURL, .optionalText),
        .field("role_pointer", \.rolePointer, .text),
        .field("mfa_url", \.mfaURL, .optionalText),
        .field("mfa_kind_pointer", \.mfaKindPointer, .text),
        .field("consents_pointer", \.consentsPointer, .optionalText),
        .field("all_users_url", \.allUsersURL, .optionalText),
        .field("all_users_pointer", \.allUsersPointer, .text),
        .field("fields", \.fields, .parsedList(HTTPFieldMapping.parse)),
        .field("token", \.token, .secret),
        .field("token_url", \.tokenURL, .url),
        .field("client_id", \.clientID, .optionalText),
        .field("client_secret", \.clientSecret, .secret),
        .field("audience", \.audience, .optionalText),
        .field("timeout", \.timeout, .duration(max: .seconds(120))),
    ]

    static let hashLimits: [ConfigKey<HashCostLimits>] = [
        .field("max_bcrypt_cost", \.maxBcryptCost, .integer(in: 4...31)),
        .field("max_iterations", \.maxIterations, .integer(in: 1...1_000_000_000)),
        .field("max_phpass_log2", \.maxPHPassLog2, .integer(in: 7...30)),
        .field("max_scrypt_memory", \.maxScryptMemory, .byteSize(in: (1 << 20)...(16 << 30))),
        .field("max_argon2_memory", \.maxArgon2Memory, .byteSize(in: (1 << 20)...(16 << 30))),
        .field("max_argon2_passes", \.maxArgon2Passes, .integer(in: 1...1000)),
        .field("max_parallelism", \.maxParallelism, .integer(in: 1...256)),
    ]

    static let configuredHash: [ConfigKey<ConfiguredHashFormat>] = [
        .field("digest", \.digest, .choice),
        .field("expression", \.expression, .hashExpression),
        .field("rows", \.rows, .choice),
        .field("salt_position", \.saltPosition, .choice),
        .field("template", \.template, .optionalText),
        .field("salt_encoding", \.saltEncoding, .choice),
        .field("hash_encoding", \.hashEncoding, .choice),
        .field("password_encoding", \.passwordEncoding, .choice),
        .field("pepper", \.pepper, .secret),
        .field("iterations", \.iterations, .integer(in: 1...10_000_000)),
    ]

    /// `kind` is read first (`ConfigBuilder.target`): it decides what the
    /// other keys mean.
    static let target: [ConfigKey<TargetSettings>] = [
        .field("kind", \.kind, .decided),
        .field("url", \.url, .url),
        .field("token", \.token, .secret),
        .field("signing_key", \.signingKey, .secret),
        .field("database", \.database, .optionalStore),
        .field("statements", \.statements, .strings),
        .field("totp_statements", \.totpStatements, .strings),
        .field("hotp_statements", \.hotpStatements, .strings),
        .field("recovery_code_statements", \.recoveryCodeStatements, .strings),
        .field("webauthn_statements", \.webauthnStatements, .strings),
        .field("phone_statements", \.phoneStatements, .strings),
        .field("role_statements", \.roleStatements, .strings),
        .field("scim_attributes", \.scimAttributes, .parsedList(SCIMAttributeMapping.parse)),
        .field("consent_statements", \.consentStatements, .strings),
        .field("existing_query", \.existingQuery, .optionalText),
        .field("id_query", \.idQuery, .optionalText),
        .field("lookup_query", \.lookupQuery, .optionalText),
        .field("totp_issuer", \.totpIssuer, .optionalText),
        .field("date_format", \.dateFormat, .choice),
        .field("timeout", \.timeout, .duration()),
        .field("retry_initial", \.retryInitial, .duration()),
        .field("retry_ceiling", \.retryCeiling, .duration()),
        .field("mfa_factors", \.mfaFactors, .words(sorted: true)),
    ]

    static let migration: [ConfigKey<MigrationSettings>] = [
        .field("mode", \.mode, .choice),
        .field("rollout_percent", \.rolloutPercent, .number(in: 0...100, decimals: 2)),
        .field("rollout_salt", \.rolloutSalt, .text),
        .field("rate_per_second", \.ratePerSecond, .number(in: 0...1_000_000)),
        .field("burst", \.burst, .integer(in: 1...1_000_000)),
        // The hash worker threads belong to the process.
        .field("hash_workers", \.hashWorkers, .integer(in: 0...1024), restart: .always),
        .field("hash_queue_size", \.hashQueueSize, .integer(in: 1...1_000_000), restart: .always),
        .field("normalize_identifier", \.normalization, .words()),
        .field("allow", \.allow, .strings),
        .field("deny", \.deny, .strings),
        .field("hold_on_legacy", \.holdOnLegacy, .parsedList(HoldRule.parse)),
        .field("unsupported_mfa", \.unsupportedMFA, .choice),
        .field("unknown_identifier", \.unknownIdentifier, .choice),
        .field("unknown_to_both", \.unknownToBoth, .choice),
        .field("legacy_upstream", \.legacyUpstream, .text),
        .field("new_upstream", \.newUpstream, .text),
    ]

    static let rehash: [ConfigKey<RehashSettings>] = [
        .field("scheme", \.scheme, .choice),
        .field("format", \.format, .choice),
        .field("argon2_memory", \.parameters.argon2MemoryKiB, .kibibytes(in: (64 << 10)...(4 << 30))),
        .field("argon2_passes", \.parameters.argon2Iterations, .integer(in: 1...64)),
        .field("argon2_parallelism", \.parameters.argon2Parallelism, .integer(in: 1...64)),
        .field("bcrypt_cost", \.parameters.bcryptCost, .integer(in: 10...31)),
        .field("pbkdf2_iterations", \.parameters.pbkdf2Iterations, .integer(in: 100_000...100_000_000)),
        .field("scrypt_log2_n", \.parameters.scryptLog2N, .integer(in: 14...30)),
        .field("scrypt_r", \.parameters.scryptR, .integer(in: 1...64)),
        .field("scrypt_p", \.parameters.scryptP, .integer(in: 1...64)),
        .field("salt_length", \.parameters.saltLength, .optionalInteger(in: 8...64)),
    ]

    /// Parameters whose default depends on `format` (`RehashParameters.defaults(for:)`).
    static var formatDefaultedRehashKeys: [(String, WritableKeyPath<RehashParameters, Int>)] {
        [
            ("argon2_memory", \.argon2MemoryKiB), ("argon2_passes", \.argon2Iterations),
            ("argon2_parallelism", \.argon2Parallelism), ("bcrypt_cost", \.bcryptCost),
            ("pbkdf2_iterations", \.pbkdf2Iterations), ("scrypt_log2_n", \.scryptLog2N), ("scrypt_r", \.scryptR),
            ("scrypt_p", \.scryptP),
        ]
    }

    /// A route's match and action are each one key for the diff: their
    /// parts are read together (`ConfigBuilder.routeMatch`, `routeAction`),
    /// because the action decides which other keys the table has.
    static let route: [ConfigKey<RouteSettings>] = [
        .field("name", \.name, .requiredName),
        ConfigKey(
            name: "match", restart: .never, isSecret: false,
            read: { table, route, context in
                route.match = context.routeMatch(table)
                return true
            }, differs: { $0.match != $1.match }, text: { $0.match.summary }),
        ConfigKey(
            name: "action", restart: .never, isSecret: false,
            read: { table, route, context in
                guard let action = context.routeAction(table) else { return false }
                route.action = action
                return true
            }, differs: { $0.action != $1.action }, text: { $0.action.summary }),
        .field("session_affinity", \.sessionAffinity, .bool),
    ]

    static let loginGuard: [ConfigKey<LoginGuardSettings>] = [
        .field("enabled", \.enabled, .bool),
        .field("identifier_failures", \.identifierFailures, .integer(in: 1...1_000_000)),
        .field("identifier_window", \.identifierWindow, .duration(max: .seconds(86_400 * 7))),
        .field("client_failures", \.clientFailures, .integer(in: 1...1_000_000)),
        .field("client_window", \.clientWindow, .duration(max: .seconds(86_400 * 7))),
        .field("over_limit", \.overLimit, .choice),
        .field("client_address_header", \.clientAddressHeader, .optionalText),
        .field("legacy_failure_statuses", \.legacyFailureStatuses, .integers(in: 400...599)),
    ]

    static let sessions: [ConfigKey<SessionSettings>] = [
        .field("track", \.track, .bool),
        .field("store_query", \.storeQuery, .optionalText),
        .field("store_database", \.storeDatabase, .optionalStore),
        .field("jwks_file", \.jwksFile, .path),
        .field("jwks_url", \.jwksURL, .url),
        .field("jwks_refresh", \.jwksRefresh, .duration(max: .seconds(86_400))),
        .field("retention", \.retention, .duration(max: .seconds(86_400 * 365))),
    ]
}
