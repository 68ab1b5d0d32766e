/// One problem found in a config file, with where it is and what was expected.
public struct ConfigIssue: Equatable, Sendable, CustomStringConvertible {
    public var file: String
    /// 1-based line, when the parser or the key locator can tell.
    public var line: Int?
    /// Column for syntax errors, where the TOML parser reports one.
    public var column: Int?
    /// Dotted key path such as `migration.rollout_percent` or `route[1].upstream`.
    public var keyPath: String?
    public var message: String

    public init(file: String, line: Int?, column: Int? = nil, keyPath: String?, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        var location = file
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return "\(location): \(Self.printable(message))"
    }

    /// Control characters a config carried (an escape in a string or key) are
    /// shown as `\u{…}`: the message goes to a terminal or a log line.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
        var shown = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                shown += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }
}

/// A config file that could not be turned into a `ProxyConfig`: every issue found,
/// not only the first, so an operator fixes the file in one pass.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public var issues: [ConfigIssue]

    public init(issues: [ConfigIssue]) {
        self.issues = issues
    }

    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }
}
