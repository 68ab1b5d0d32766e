import PasswordHashes

/// The value types `proxy.conf` keys have: how each is read (with its range)
/// and written back for people, in the file's own spelling where it has one.
extension ConfigValueKind where Value == Bool {
    static let bool = ConfigValueKind(
        read: { table, key, current, _ in table.bool(key, default: current) }, text: { "\($0)" })
}

extension ConfigValueKind where Value == Int {
    static func integer(in range: ClosedRange<Int>) -> ConfigValueKind {
        ConfigValueKind(
            read: { table, key, current, _ in table.integer(key, in: range, default: current) }, text: { "\($0)" })
    }

    /// Bytes, written as `512`, `16KiB`, `10MiB` or `1GiB`.
    static func byteSize(in range: ClosedRange<Int>) -> ConfigValueKind {
        ConfigValueKind(
            read: { table, key, current, _ in table.byteSize(key, in: range, default: current) },
            text: byteText)
    }

    /// Kibibytes in the model, a size in the file (`argon2_memory = "64MiB"`).
    static func kibibytes(in range: ClosedRange<Int>) -> ConfigValueKind {
        ConfigValueKind(
            read: { table, key, current, _ in table.byteSize(key, in: range, default: current << 10) >> 10 },
            text: { byteText($0 << 10) })
    }
}

extension ConfigValueKind where Value == Double {
    static func number(in range: ClosedRange<Double>, decimals: Int? = nil) -> ConfigValueKind {
        ConfigValueKind(
            read: { table, key, current, _ in table.number(key, in: range, decimals: decimals, default: current) },
            text: { format($0) })
    }
}

extension ConfigValueKind where Value == Duration {
    static func duration(max: Duration = .seconds(86_400 * 365)) -> ConfigValueKind {
        ConfigValueKind(
            read: { table, key, current, _ in table.duration(key, default: current, max: max) }, text: durationText)
    }
}

extension ConfigValueKind where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
    /// One of a fixed set of words, such as `mode = "migrate"`.
    static var choice: ConfigValueKind {
        ConfigValueKind(read: { table, key, current, _ in table.choice(key, default: current) }, text: { $0.rawValue })
    }
}

extension ConfigValueKind where Value == HashExpression? {
    /// A password formula; a formula that does not parse is reported where it
    /// fails and leaves the section incomplete.
    static var hashExpression: ConfigValueKind {
        ConfigValueKind(
            read: { table, key, current, _ in
                guard let text = table.string(key) else { return current }
                do {
                    return try HashExpression(parsing: text)
                } catch {
                    table.report(key, "\(error)")
                    return nil
                }
            }, text: { $0?.source })
    }
}

extension ConfigValueKind where Value == String {
    /// Text with a default (the model's initial value).
    static let text = ConfigValueKind(read: { table, key, current, _ in table.string(key) ?? current }, text: { $0 })

    /// A file path with a default worked out by the builder (empty until then).
    static let derivedPath = ConfigValueKind(
        read: { table, key, current, context in table.string(key).map(context.resolvePath) ?? current },
        text: { $0.isEmpty ? nil : $0 })

    /// A required name made of letters, digits, `-` and `_` (routes): one
    /// that is not is reported, and kept so that nothing else cascades.
    static let requiredName = ConfigValueKind(
        read: { table, key, _, context in
            guard let name = table.requiredString(key) else { return nil }
            if !context.isName(name) {
                table.report(key, "must use only letters, digits, `-` and `_`, found \"\(name)\"")
            }
            return name
        }, text: { $0 })

    /// Text the table cannot do without.
    static let requiredText = ConfigValueKind(read: { table, key, _, _ in table.requiredString(key) }, text: { $0 })
}

extension ConfigValueKind where Value == String? {
    static let optionalText = ConfigValueKind(read: { table, key, _, _ in .some(table.string(key)) }, text: { $0 })

    /// A file path, taken relative to the config file's folder.
    static let path = ConfigValueKind(
        read: { table, key, _, context in .some(table.string(key).map(context.resolvePath)) }, text: { $0 })
}

extension ConfigValueKind where Value == Int? {
    /// Unset means "the default worked out elsewhere".
    static func optionalInteger(in range: ClosedRange<Int>) -> ConfigValueKind {
        ConfigValueKind(
            read: { table, key, current, _ in
                guard table.has(key) else { return .some(current) }
                return .some(table.integer(key, in: range, default: range.lowerBound))
            }, text: { $0.map(String.init) })
    }
}

extension ConfigValueKind where Value == [String] {
    static let strings = ConfigValueKind(
        read: { table, key, current, _ in table.stringArray(key) ?? current }, text: listText)
}

extension ConfigValueKind where Value == [Int] {
    /// Present means replace, even with `[]`.
    static func integers(in range: ClosedRange<Int>) -> ConfigValueKind {
        ConfigValueKind(
            read: { table, key, current, _ in table.has(key) ? table.integerArray(key, in: range) ?? [] : current },
            text: { "[" + $0.map(String.init).joined(separator: ", ") + "]" })
    }
}

extension ConfigValueKind where Value == Secret? {
    /// Read from `<key>_file` or `<key>_env`, never inline; written as its source.
    static let secret = ConfigValueKind(
        read: { table, key, _, context in .some(context.secret(table, key)) },
        text: { $0.map { "(secret from \($0))" } },
        isSecret: true)
}

extension ConfigValueKind where Value == ListenAddress {
    static let listen = ConfigValueKind(
        read: { table, key, current, context in
            guard let text = table.string(key) else { return current }
            return context.listenAddress(table, key, text)
        }, text: { "\($0)" })

    static let requiredListen = ConfigValueKind(
        read: { table, key, _, context in table.requiredString(key).flatMap { context.listenAddress(table, key, $0) } },
        text: { "\($0)" })
}

extension ConfigValueKind where Value == EndpointURL {
    static let requiredURL = ConfigValueKind(
        read: { table, key, _, context in table.requiredString(key).flatMap { context.endpoint(table, key, $0) } },
        text: { "\($0)" })
}

extension ConfigValueKind where Value == EndpointURL? {
    /// An invalid URL is reported and leaves the key unset.
    static let url = ConfigValueKind(
        read: { table, key, _, context in .some(table.string(key).flatMap { context.endpoint(table, key, $0) }) },
        text: { $0.map { "\($0)" } })
}

extension ConfigValueKind where Value == StoreLocation {
    /// A default store path is taken relative to the config file's folder too.
    static let store = ConfigValueKind(
        read: { table, key, current, context in
            guard let text = table.string(key) else { return current.resolved(context) }
            return context.storeLocation(table, key, text)
        }, text: { "\($0)" })

    static let requiredStore = ConfigValueKind(
        read: { table, key, _, context in
            table.requiredString(key).flatMap { context.storeLocation(table, key, $0) }
        }, text: { "\($0)" })
}

extension ConfigValueKind where Value == StoreLocation? {
    static let optionalStore = ConfigValueKind(
        read: { table, key, _, context in .some(table.string(key).flatMap { context.storeLocation(table, key, $0) }) },
        text: { $0.map { "\($0)" } })
}

extension StoreLocation {
    func resolved(_ context: ConfigBuilder) -> StoreLocation {
        switch self {
        case .sqlite(let path): .sqlite(path: context.resolvePath(path))
        case .postgres, .mysql: self
        }
    }
}

/// `3600s` as `1h`, `90s` as `1m30s`, `250ms` as `250ms`: the file's spelling.
func durationText(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let milliseconds = attoseconds / 1_000_000_000_000_000
    if seconds == 0 { return "\(milliseconds)ms" }
    var text = ""
    var rest = seconds
    for (unit, size) in [("h", Int64(3600)), ("m", 60), ("s", 1)] where rest >= size {
        text += "\(rest / size)\(unit)"
        rest %= size
    }
    return milliseconds == 0 ? text : text + "\(milliseconds)ms"
}

/// Bytes in the largest binary unit that divides them.
func byteText(_ bytes: Int) -> String {
    for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= size && bytes % size == 0
    {
        return "\(bytes / size)\(unit)"
    }
    return "\(bytes)"
}

func listText(_ items: [String]) -> String {
    "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
}

extension ConfigValueKind where Value: RawRepresentable & CaseIterable & Sendable, Value.RawValue == String {
    /// A word the builder read first because it decides what the table's
    /// other keys mean (`target.kind`): already in the section.
    static var decided: ConfigValueKind {
        ConfigValueKind(read: { _, _, current, _ in current }, text: { $0.rawValue })
    }

    /// A word the table cannot do without.
    static var requiredChoice: ConfigValueKind {
        ConfigValueKind(
            read: { table, key, current, _ in
                guard table.has(key) else {
                    table.missing(key)
                    return nil
                }
                return table.choice(key, default: current)
            }, text: { $0.rawValue })
    }
}

/// Lists of words from a fixed set, in the order written (identifier
/// normalization steps) or as a sorted set (MFA factor kinds).
extension ConfigValueKind {
    static func words<Word: RawRepresentable & CaseIterable & Sendable>(sorted: Bool = false) -> ConfigValueKind
    where Value == [Word], Word.RawValue == String {
        ConfigValueKind(
            read: { table, key, current, _ in
                guard let texts = table.stringArray(key) else { return current }
                var words: [Word] = []
                for text in texts {
                    guard let word = Word(rawValue: text) else {
                        let allowed = Word.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                        table.report(key, "may contain \(allowed), found \"\(text)\"")
                        continue
                    }
                    if !sorted || !words.contains(where: { $0.rawValue == word.rawValue }) { words.append(word) }
                }
                return sorted ? words.sorted { $0.rawValue < $1.rawValue } : words
            }, text: { listText($0.map(\.rawValue)) })
    }
}

/// Lists whose entries have their own small syntax (`hold_on_legacy`,
/// `scim_attributes`): each bad entry is reported, the good ones kept.
extension ConfigValueKind {
    static func parsedList<Entry: CustomStringConvertible & Sendable>(
        _ parse: @escaping @Sendable (String) -> (Entry?, String?)
    ) -> ConfigValueKind where Value == [Entry] {
        ConfigValueKind(
            read: { table, key, current, _ in
                guard let texts = table.stringArray(key) else { return current }
                return texts.compactMap { text in
                    let (entry, problem) = parse(text)
                    if let problem { table.report(key, "entry \"\(text)\" \(problem)") }
                    return entry
                }
            }, text: { listText($0.map(\.description)) })
    }
}
