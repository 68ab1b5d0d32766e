/// One key of `proxy.conf`, declared once (`ConfigKeys`): its name in the
/// file, how it is read and checked, where it lands in the model, how its value
/// reads to a person, whether it is a secret, and whether changing it needs a
/// restart. Parsing, the reload diff, the audit's key names, the restart
/// warning and `check-config`'s list of non-default settings all come from
/// these declarations. A key's default is the model's initial value, written
/// once in the model.
struct ConfigKey<Section>: Sendable {
    /// As the file spells it, within its table.
    let name: String
    let restart: RestartRule
    let isSecret: Bool
    /// Reads the key from `table` into `section`; false when a required key is
    /// missing or invalid (the section cannot be built; the error is reported).
    let read: @Sendable (_ table: TableReader, _ section: inout Section, _ context: ConfigBuilder) -> Bool
    let differs: @Sendable (_ old: Section, _ new: Section) -> Bool
    /// The value as a person reads it, secrets by their source; nil when unset.
    let text: @Sendable (Section) -> String?

    /// A key stored in one field of the section.
    static func field<Value: Equatable & Sendable>(
        _ name: String, _ field: WritableKeyPath<Section, Value> & Sendable, _ kind: ConfigValueKind<Value>,
        restart: RestartRule = .never
    ) -> ConfigKey {
        ConfigKey(
            name: name, restart: restart, isSecret: kind.isSecret,
            read: { table, section, context in
                guard let value = kind.read(table, name, section[keyPath: field], context) else { return false }
                section[keyPath: field] = value
                return true
            },
            differs: { $0[keyPath: field] != $1[keyPath: field] },
            text: { kind.text($0[keyPath: field]) })
    }
}

/// What changing a key on a running Ferry needs.
enum RestartRule: Sendable {
    /// Takes effect on reload.
    case never
    /// Read once at start (a listener, the hash workers): the running process
    /// keeps the old value until it is restarted.
    case always
    /// Turning it on or off needs a restart (TLS on a listener); changing its
    /// value does not (the certificate is read again on reload).
    case whenSetOrUnset
}

/// How a value of one type is read from the file and written for people.
struct ConfigValueKind<Value: Sendable>: Sendable {
    /// The value read, `current` (the default) when the key is absent, or nil
    /// when a required key is missing or invalid. Reports its own errors.
    let read: @Sendable (_ table: TableReader, _ key: String, _ current: Value, _ context: ConfigBuilder) -> Value?
    let text: @Sendable (Value) -> String?
    var isSecret = false
}

extension ConfigKey {
    /// The keys of `keys` whose values differ, with old and new text.
    static func changes(_ keys: [ConfigKey], old: Section, new: Section, prefix: String) -> [ConfigChange] {
        keys.filter { $0.differs(old, new) }.map {
            ConfigChange(key: "\(prefix).\($0.name)", old: $0.text(old), new: $0.text(new))
        }
    }

    /// Changed keys whose new value the running process cannot take.
    static func restartRequired(_ keys: [ConfigKey], old: Section, new: Section, prefix: String) -> [String] {
        keys.filter { key in
            switch key.restart {
            case .never: false
            case .always: key.differs(old, new)
            case .whenSetOrUnset: (key.text(old) == nil) != (key.text(new) == nil)
            }
        }.map { "\(prefix).\($0.name)" }
    }

    /// A whole section as text, for a section added or removed on reload.
    static func text(_ keys: [ConfigKey], of section: Section) -> String {
        keys.compactMap { key in key.text(section).map { "\(key.name) = \($0)" } }.joined(separator: ", ")
    }

    /// Reads every key of `keys`; false when a required one is missing or invalid.
    static func read(
        _ keys: [ConfigKey], from table: TableReader, into section: inout Section, _ context: ConfigBuilder
    )
        -> Bool
    {
        var complete = true
        for key in keys where !key.read(table, &section, context) { complete = false }
        return complete
    }
}
