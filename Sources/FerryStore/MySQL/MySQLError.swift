/// An error MySQL or MariaDB (or Connector/C) reported.
public struct MySQLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The server's error number (1062 duplicate entry) or the client's (2003
    /// cannot connect).
    public var code: UInt32
    public var sqlState: String
    public var message: String

    public init(code: UInt32, sqlState: String, message: String) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
    }

    /// Errors whose message quotes a value (a duplicated email, an ill-typed
    /// hash): the value is left out, since it may be a secret.
    static let quotesAValue: Set<UInt32> = [1062, 1586, 1264, 1265, 1292, 1366, 1406, 1411]

    /// For logs and outbox errors: the number, the SQLSTATE and the message,
    /// without any value it quotes.
    public var description: String {
        var text = message
        if Self.quotesAValue.contains(code), let open = text.firstIndex(of: "'") {
            let rest = text[text.index(after: open)...]
            if let close = rest.firstIndex(of: "'") { text.replaceSubrange(open...close, with: "'…'") }
        }
        return "MySQL error \(code) (\(sqlState)): \(text)"
    }

    /// The client could not reach the server or lost it: worth retrying.
    public var isConnectionLost: Bool { (2000..<3000).contains(code) }
}
