/// What a reload changes, key by key, from the key table (`ConfigKeys`): the
/// names are the file's, secrets show their source, never their value.
extension ProxyConfig {
    /// Key paths whose values differ between `old` and this config, such as
    /// `migration.rollout_percent` or `upstreams.new.pool_size`.
    public func changedKeys(from old: ProxyConfig) -> [String] {
        changes(from: old).map(\.key)
    }

    /// The changed keys with their old and new values as text, for the audit
    /// log. Secrets show where they are read from, never their value.
    public func changes(from old: ProxyConfig) -> [ConfigChange] {
        var changes: [ConfigChange] = []
        changes += ConfigKey.changes(ConfigKeys.server, old: old.server, new: server, prefix: "server")
        changes += ConfigKey.changes(ConfigKeys.admin, old: old.admin, new: admin, prefix: "admin")
        changes += ConfigKey.changes(ConfigKeys.state, old: old.state, new: state, prefix: "state")
        for name in Set(old.upstreams.keys).union(upstreams.keys) {
            changes += Self.changes(
                ConfigKeys.upstream, old: old.upstreams[name], new: upstreams[name], prefix: "upstreams.\(name)")
        }
        if (old.legacy == nil) != (legacy == nil) {
            changes.append(ConfigChange(key: "legacy", old: old.legacy.map(Self.text), new: legacy.map(Self.text)))
        }
        if let before = old.legacy, let after = legacy {
            changes += ConfigKey.changes(ConfigKeys.legacy, old: before, new: after, prefix: "legacy")
            changes += Self.changes(
                ConfigKeys.configuredHash, old: before.hashFormat, new: after.hashFormat, prefix: "legacy.hash")
            changes += ConfigKey.changes(
                ConfigKeys.hashLimits, old: before.limits, new: after.limits, prefix: "legacy.limits")
        }
        changes += Self.changes(ConfigKeys.target, old: old.target, new: target, prefix: "target")
        changes += ConfigKey.changes(ConfigKeys.migration, old: old.migration, new: migration, prefix: "migration")
        changes += ConfigKey.changes(
            ConfigKeys.rehash, old: old.migration.rehash, new: migration.rehash, prefix: "migration.rehash")
        for index in 0..<max(old.routes.count, routes.count) {
            changes += Self.changes(
                ConfigKeys.route, old: old.routes[safe: index], new: routes[safe: index], prefix: "route[\(index)]")
        }
        changes += ConfigKey.changes(
            ConfigKeys.loginGuard, old: old.loginGuard, new: loginGuard, prefix: "login_guard")
        changes += ConfigKey.changes(ConfigKeys.sessions, old: old.sessions, new: sessions, prefix: "sessions")
        return changes.sorted { $0.key < $1.key }
    }

    /// Changed keys that take effect only after a restart (the keys' `restart` rule).
    public func restartRequiredKeys(from old: ProxyConfig) -> [String] {
        var keys: [String] = []
        keys += ConfigKey.restartRequired(ConfigKeys.server, old: old.server, new: server, prefix: "server")
        keys += ConfigKey.restartRequired(ConfigKeys.admin, old: old.admin, new: admin, prefix: "admin")
        keys += ConfigKey.restartRequired(ConfigKeys.state, old: old.state, new: state, prefix: "state")
        keys += ConfigKey.restartRequired(ConfigKeys.migration, old: old.migration, new: migration, prefix: "migration")
        return keys
    }

    /// `[legacy]` as text with its `hash` and `limits` tables.
    private static func text(_ legacy: LegacySourceSettings) -> String {
        var parts = [ConfigKey.text(ConfigKeys.legacy, of: legacy)]
        if let hash = legacy.hashFormat { parts.append("hash: " + ConfigKey.text(ConfigKeys.configuredHash, of: hash)) }
        parts.append("limits: " + ConfigKey.text(ConfigKeys.hashLimits, of: legacy.limits))
        return parts.joined(separator: "; ")
    }

    /// A section present on one side only is one change, its whole content as
    /// text; present on both, one change per key that differs.
    private static func changes<Section>(
        _ keys: [ConfigKey<Section>], old: Section?, new: Section?, prefix: String
    ) -> [ConfigChange] {
        switch (old, new) {
        case (nil, nil): return []
        case (let old?, let new?): return ConfigKey.changes(keys, old: old, new: new, prefix: prefix)
        default:
            return [
                ConfigChange(
                    key: prefix, old: old.map { ConfigKey.text(keys, of: $0) },
                    new: new.map { ConfigKey.text(keys, of: $0) })
            ]
        }
    }
}

/// One changed key; a value is nil when the key is absent on that side.
public struct ConfigChange: Equatable, Sendable {
    public var key: String
    public var old: String?
    public var new: String?
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
