/// A MySQL or MariaDB database as a `mysql://` (or `mariadb://`) URL names
/// it. TLS options ride in the query string under the names of MySQL's own
/// `--ssl-mode` and `--ssl-ca`; the password never does: it is read from
/// `password_file` or `password_env`, as every other secret.
public struct MySQLLocation: Equatable, Sendable, CustomStringConvertible {
    public enum TLSMode: String, CaseIterable, Sendable {
        /// Plain TCP (loopback, or a network that is already private).
        case disabled
        /// TLS always, without checking the certificate (MySQL's meaning).
        /// The default: a server without TLS is refused, not used in the clear.
        case required
        /// TLS always; the certificate must chain to `ssl_ca` and name the host.
        case verifyIdentity = "verify_identity"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var tls: TLSMode
    /// PEM file of the CAs that may sign the server's certificate.
    public var caFile: String?
    public var passwordSource: PostgresLocation.PasswordSource?
    /// Read from `passwordSource` when the config is loaded.
    public var password: Secret?
    /// Connections this process keeps open to the database at most.
    public var poolSize: Int

    public static let defaultPoolSize = 10

    /// Without the password, so it can sit in logs and `ferry status`.
    public var description: String {
        "mysql://\(user)@\(host):\(port)/\(database)?ssl_mode=\(tls.rawValue)"
    }

    /// Parses `mysql://USER@HOST[:PORT]/DATABASE[?OPTIONS]` (or `mariadb://`).
    public static func parse(_ text: String) -> Result<MySQLLocation, PostgresLocationError> {
        let url: ServerURL
        switch ServerURL.parse(
            text, schemes: ["mysql", "mariadb"], scheme: "mysql", defaultPort: 3306,
            engineOptions: ["ssl_mode", "ssl_ca"], defaultPoolSize: defaultPoolSize)
        {
        case .failure(let error): return .failure(error)
        case .success(let parsed): url = parsed
        }
        var location = MySQLLocation(
            host: url.host, port: url.port, user: url.user, database: url.database, tls: .required, caFile: nil,
            passwordSource: url.passwordSource, password: nil, poolSize: url.poolSize)
        if let value = url.options["ssl_mode"] {
            guard let mode = TLSMode(rawValue: value.lowercased()) else {
                return .failure(
                    .init(
                        "ssl_mode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(value)\""
                    ))
            }
            location.tls = mode
        }
        if let value = url.options["ssl_ca"] {
            guard !value.isEmpty else { return .failure(.init("ssl_ca names no file")) }
            location.caFile = value
        }
        if location.tls == .verifyIdentity && location.caFile == nil {
            return .failure(.init("ssl_mode=verify_identity needs ssl_ca, the CA file that signs the server"))
        }
        if location.caFile != nil && location.tls != .verifyIdentity {
            return .failure(.init("ssl_ca is only used with ssl_mode=verify_identity"))
        }
        return .success(location)
    }
}
