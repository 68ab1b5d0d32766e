import Foundation

/// A PostgreSQL database as a `postgres://` URL names it. Connection options
/// ride in the query string under libpq's names where libpq has one
/// (`sslmode`, `sslrootcert`), so an operator's existing URL mostly carries
/// over; the password never does: it is read from `password_file` or
/// `password_env`, as every other secret.
public struct PostgresLocation: Equatable, Sendable, CustomStringConvertible {
    public enum TLSMode: String, CaseIterable, Sendable {
        /// Plain TCP (loopback, or a network that is already private).
        case disable
        /// TLS when the server offers it, without checking its certificate.
        case prefer
        /// TLS always, without checking the certificate (libpq's meaning).
        case require
        /// TLS always; the certificate must chain to `sslrootcert` (or the
        /// system's roots) and name the host.
        case verifyFull = "verify-full"
    }

    public enum PasswordSource: Equatable, Sendable {
        case file(String)
        case environment(String)
    }

    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var tls: TLSMode
    /// PEM file of the CAs that may sign the server's certificate.
    public var caFile: String?
    public var passwordSource: PasswordSource?
    /// Read from `passwordSource` when the config is loaded.
    public var password: Secret?
    /// Connections this process keeps open to the database at most.
    public var poolSize: Int

    public static let defaultPoolSize = 10

    /// Without the password, so it can sit in logs and `ferry status`.
    public var description: String {
        "postgres://\(user)@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }

    /// Parses `postgres://USER@HOST[:PORT]/DATABASE[?OPTIONS]` (or
    /// `postgresql://`). Every problem is a sentence an operator can act on.
    public static func parse(_ text: String) -> Result<PostgresLocation, PostgresLocationError> {
        let url: ServerURL
        switch ServerURL.parse(
            text, schemes: ["postgres", "postgresql"], scheme: "postgres", defaultPort: 5432,
            engineOptions: ["sslmode", "sslrootcert"], defaultPoolSize: defaultPoolSize)
        {
        case .failure(let error): return .failure(error)
        case .success(let parsed): url = parsed
        }
        var location = PostgresLocation(
            host: url.host, port: url.port, user: url.user, database: url.database, tls: .prefer, caFile: nil,
            passwordSource: url.passwordSource, password: nil, poolSize: url.poolSize)
        if let value = url.options["sslmode"] {
            guard let mode = TLSMode(rawValue: value) else {
                return .failure(
                    .init(
                        "sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(value)\""
                    ))
            }
            location.tls = mode
        }
        if let value = url.options["sslrootcert"] {
            guard !value.isEmpty else { return .failure(.init("sslrootcert names no file")) }
            location.caFile = value
        }
        if location.caFile != nil && location.tls != .verifyFull {
            return .failure(.init("sslrootcert is only used with sslmode=verify-full"))
        }
        return .success(location)
    }
}

public struct PostgresLocationError: Error, Equatable, Sendable {
    public var message: String
    init(_ message: String) { self.message = message }
}
