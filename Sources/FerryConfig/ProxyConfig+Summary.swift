extension ProxyConfig {
    /// The one-screen overview `ferry check-config` prints for a valid file.
    /// Secrets appear only as their source (file path or variable name).
    public var summary: String {
        var lines: [String] = []
        let tls = server.tls.map { " (TLS, cert \($0.certificateFile))" } ?? " (plain HTTP)"
        lines.append("listener   \(server.listen)\(tls)")
        lines.append("admin      \(admin.listen)  token: \(admin.token?.description ?? "none, /admin/* disabled")")
        lines.append("state      \(state.store)  key: \(state.encryptionKey?.description ?? "none")")
        lines.append("upstreams  \(upstreams.count)")
        for upstream in upstreams.values.sorted(by: { $0.name < $1.name }) {
            var detail = "pool \(upstream.poolSize)"
            if !upstream.sessionCookies.isEmpty {
                detail += ", session cookies \(upstream.sessionCookies.joined(separator: ", "))"
            }
            lines.append("  \(upstream.name.padded(10)) \(upstream.url)  \(detail)")
        }
        lines.append("routes     \(routes.count) (first match wins)")
        for route in routes {
            lines.append("  \(route.name.padded(14)) \(route.match.summary.padded(28)) → \(route.action.summary)")
        }
        var migrationLine = "migration  mode \(migration.mode.rawValue), rollout \(format(migration.rolloutPercent))%"
        migrationLine += ", rate \(format(migration.ratePerSecond))/s burst \(migration.burst)"
        migrationLine += ", rehash \(migration.rehash.scheme.rawValue) (\(migration.rehash.format.rawValue))"
        lines.append(migrationLine)
        if let legacy {
            if let cognito = legacy.cognito, legacy.kind == .cognito {
                lines.append("legacy     Cognito pool \(cognito.userPoolID) at \(cognito.url), verified by Cognito")
            } else if let ldap = legacy.ldap, legacy.kind == .ldap {
                let tls = ldap.startTLS ? " (StartTLS)" : ""
                lines.append("legacy     \(ldap.url)\(tls) under \(ldap.baseDN), verify \(ldap.verify.rawValue)")
            } else {
                lines.append("legacy     \(legacy.database)")
            }
        }
        if let target {
            let location = target.url?.description ?? target.database?.description ?? ""
            lines.append("target     \(target.kind.rawValue) \(location)")
        }
        let tuned = settingsAwayFromDefaults
        if !tuned.isEmpty {
            lines.append("tuned      \(tuned.count) setting\(tuned.count == 1 ? "" : "s") away from the default")
            for change in tuned { lines.append("  \(change.key) = \(change.new ?? "(unset)")") }
        }
        return lines.joined(separator: "\n")
    }

    /// The tunables set away from their defaults, from the key table: what an
    /// operator changed, at a glance. Listeners, upstreams, the legacy source,
    /// the target and routes are in the overview above.
    var settingsAwayFromDefaults: [ConfigChange] {
        let overview: Set = ["server.listen", "server.tls_cert_file", "server.tls_key_file"]
        var changes = ConfigKey.changes(ConfigKeys.server, old: ServerSettings(), new: server, prefix: "server")
        changes += ConfigKey.changes(
            ConfigKeys.migration, old: MigrationSettings(), new: migration, prefix: "migration")
        changes += ConfigKey.changes(
            ConfigKeys.rehash, old: RehashSettings(), new: migration.rehash, prefix: "migration.rehash")
        changes += ConfigKey.changes(
            ConfigKeys.loginGuard, old: LoginGuardSettings(), new: loginGuard, prefix: "login_guard")
        changes += ConfigKey.changes(ConfigKeys.sessions, old: SessionSettings(), new: sessions, prefix: "sessions")
        if let legacy {
            changes += ConfigKey.changes(
                ConfigKeys.hashLimits, old: HashCostLimits(), new: legacy.limits, prefix: "legacy.limits")
        }
        return changes.filter { !overview.contains($0.key) }
    }
}

extension RouteMatch {
    var summary: String {
        var parts: [String] = [methods.isEmpty ? "*" : methods.joined(separator: ",")]
        switch path {
        case .exact(let path): parts.append(path)
        case .prefix(let prefix): parts.append("\(prefix)*")
        case nil: parts.append("/*")
        }
        if let host { parts.append("host=\(host)") }
        if let header { parts.append("header=\(header)") }
        if let cookie { parts.append("cookie=\(cookie)") }
        return parts.joined(separator: " ")
    }
}

extension RouteAction {
    var summary: String {
        switch self {
        case .proxy(let upstream): return "proxy \(upstream)"
        case .login(let login):
            return "login (\(login.bodyFormat.rawValue): \(login.identifierField), \(login.passwordField))"
        case .byUser(let settings): return "by_user (\(settings.identifierFields.joined(separator: ", ")))"
        case .signup(let settings):
            return
                "signup (\(settings.identifierFields.joined(separator: ", ")); legacy identifiers: \(settings.onLegacyIdentifier.rawValue))"
        }
    }
}

extension String {
    fileprivate func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
