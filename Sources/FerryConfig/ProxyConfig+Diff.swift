extension ProxyConfig {
    /// Key paths whose values differ between `old` and this config, such as
    /// `migration.rollout_percent` or `upstreams.new.pool_size`. Names only: a
    /// changed secret shows up as its key, never as a value.
    public func changedKeys(from old: ProxyConfig) -> [String] {
        changes(from: old).map(\.key)
    }

    /// The changed keys with their old and new values as text, for the audit
    /// log. Secrets show where they are read from, never their value.
    public func changes(from old: ProxyConfig) -> [ConfigChange] {
        var changes: [ConfigChange] = []
        ConfigDiff.compare(old, self, path: "", into: &changes)
        return changes.sorted { $0.key < $1.key }
    }

    /// Changed keys that take effect only after a restart: listeners are bound once.
    public func restartRequiredKeys(from old: ProxyConfig) -> [String] {
        var keys: [String] = []
        if server.listen != old.server.listen { keys.append("server.listen") }
        if (server.tls == nil) != (old.server.tls == nil) { keys.append("server.tls_cert_file") }
        if server.http2 != old.server.http2 { keys.append("server.http2") }
        if admin.listen != old.admin.listen { keys.append("admin.listen") }
        if state.store != old.state.store { keys.append("state.url") }
        // The outbox's sealed jobs and the hash worker threads belong to the process.
        if state.encryptionKey != old.state.encryptionKey { keys.append("state.encryption_key") }
        if migration.hashWorkers != old.migration.hashWorkers { keys.append("migration.hash_workers") }
        if migration.hashQueueSize != old.migration.hashQueueSize { keys.append("migration.hash_queue_size") }
        return keys
    }
}

/// One changed key; a value is nil when the key is absent on that side.
public struct ConfigChange: Equatable, Sendable {
    public var key: String
    public var old: String?
    public var new: String?
}

/// Walks two values of one type in parallel and records the paths of leaves that
/// differ. Leaves are compared by their reflected text, secrets by value.
enum ConfigDiff {
    static func compare(_ old: Any, _ new: Any, path: String, into changes: inout [ConfigChange]) {
        if let oldSecret = old as? Secret, let newSecret = new as? Secret {
            if oldSecret != newSecret { changes.append(ConfigChange(key: path, old: text(old), new: text(new))) }
            return
        }
        let oldMirror = Mirror(reflecting: old)
        let newMirror = Mirror(reflecting: new)
        switch (oldMirror.displayStyle, newMirror.displayStyle) {
        case (.optional, _), (_, .optional):
            let oldValue = oldMirror.children.first?.value
            let newValue = newMirror.children.first?.value
            switch (oldValue, newValue) {
            case (nil, nil): return
            case (let a?, let b?): compare(a, b, path: path, into: &changes)
            default: changes.append(ConfigChange(key: path, old: oldValue.map(text), new: newValue.map(text)))
            }
        case (.dictionary, .dictionary):
            let oldEntries = entries(oldMirror)
            let newEntries = entries(newMirror)
            for key in Set(oldEntries.keys).union(newEntries.keys) {
                let child = join(path, key)
                if let a = oldEntries[key], let b = newEntries[key] {
                    compare(a, b, path: child, into: &changes)
                } else {
                    changes.append(
                        ConfigChange(key: child, old: oldEntries[key].map(text), new: newEntries[key].map(text)))
                }
            }
        case (.collection, .collection):
            let a = Array(oldMirror.children.map(\.value))
            let b = Array(newMirror.children.map(\.value))
            if a.count != b.count && !(a.first is String || b.first is String) {
                changes.append(ConfigChange(key: path, old: text(old), new: text(new)))
                return
            }
            if a.first is String || b.first is String || a.isEmpty || b.isEmpty {
                if String(reflecting: old) != String(reflecting: new) {
                    changes.append(ConfigChange(key: path, old: text(old), new: text(new)))
                }
                return
            }
            for index in a.indices { compare(a[index], b[index], path: "\(path)[\(index)]", into: &changes) }
        case (.struct, .struct) where !isLeaf(old):
            let newChildren = Dictionary(
                newMirror.children.compactMap { child in child.label.map { ($0, child.value) } }
            ) { a, _ in a }
            for child in oldMirror.children {
                guard let label = child.label, let other = newChildren[label] else { continue }
                compare(child.value, other, path: join(path, snakeCase(label)), into: &changes)
            }
        default:
            if String(reflecting: old) != String(reflecting: new) {
                changes.append(ConfigChange(key: path, old: text(old), new: text(new)))
            }
        }
    }

    /// A value as an operator reads it: enums by their file spelling, secrets by
    /// where they come from.
    static func text(_ value: Any) -> String {
        if let secret = value as? Secret { return "(secret from \(secret))" }
        if let word = value as? any RawRepresentable, let raw = word.rawValue as? String { return raw }
        if let words = value as? [any RawRepresentable] {
            return "[" + words.map { ($0.rawValue as? String).map { "\"\($0)\"" } ?? "\($0)" }.joined(separator: ", ")
                + "]"
        }
        if let duration = value as? Duration { return "\(duration)" }
        return String(describing: value)
    }

    /// Structs compared as a whole: their fields are not config keys.
    private static func isLeaf(_ value: Any) -> Bool {
        value is ListenAddress || value is EndpointURL || value is Duration || value is TLSFiles
            || value is RouteMatch || value is LoginSettings
    }

    private static func entries(_ mirror: Mirror) -> [String: Any] {
        var result: [String: Any] = [:]
        for child in mirror.children {
            let pair = Mirror(reflecting: child.value).children.map(\.value)
            if pair.count == 2, let key = pair[0] as? String { result[key] = pair[1] }
        }
        return result
    }

    private static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Property names whose file key is spelled differently.
    static let fileKeys = [
        "routes": "route", "hashFormat": "hash", "store": "url", "normalization": "normalize_identifier",
        "unsupportedMFA": "unsupported_mfa", "argon2MemoryKiB": "argon2_memory", "scryptLog2N": "scrypt_log2_n",
        "maxPHPassLog2": "max_phpass_log2", "tls": "tls_cert_file", "jwksURL": "jwks_url",
    ]

    /// `rolloutPercent` → `rollout_percent`, as the file spells keys.
    static func snakeCase(_ name: String) -> String {
        if let key = fileKeys[name] { return key }
        var out = ""
        for character in name {
            if character.isUppercase {
                out += "_" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }
}
