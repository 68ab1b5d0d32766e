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
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"),
            let components = URLComponents(string: text)
        else { return .failure(.init("must be a postgres://USER@HOST:PORT/DATABASE URL")) }
        if components.password != nil {
            return .failure(
                .init("must not carry a password; name a file with ?password_file= or a variable with ?password_env="))
        }
        guard let host = components.host, !host.isEmpty else { return .failure(.init("names no host")) }
        guard let user = components.user, !user.isEmpty else {
            return .failure(.init("names no user (postgres://USER@\(host)/…)"))
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            return .failure(.init("names no database (postgres://\(user)@\(host)/DATABASE)"))
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { return .failure(.init("port must be 1–65535")) }
        var location = PostgresLocation(
            host: host, port: port, user: user, database: database, tls: .prefer, caFile: nil, passwordSource: nil,
            password: nil, poolSize: defaultPoolSize)
        var seen: Set<String> = []
        for item in components.queryItems ?? [] {
            guard seen.insert(item.name).inserted else { return .failure(.init("repeats ?\(item.name)=")) }
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    return .failure(
                        .init(
                            "sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(value)\""
                        ))
                }
                location.tls = mode
            case "sslrootcert":
                guard !value.isEmpty else { return .failure(.init("sslrootcert names no file")) }
                location.caFile = value
            case "password_file":
                guard !value.isEmpty else { return .failure(.init("password_file names no file")) }
                location.passwordSource = .file(value)
            case "password_env":
                guard !value.isEmpty else { return .failure(.init("password_env names no variable")) }
                location.passwordSource = .environment(value)
            case "pool_size":
                guard let size = Int(value), (1...1000).contains(size) else {
                    return .failure(.init("pool_size must be 1–1000, found \"\(value)\""))
                }
                location.poolSize = size
            default:
                return .failure(
                    .init(
                        "has an unknown option ?\(item.name)= (known: sslmode, sslrootcert, password_file, password_env, pool_size)"
                    ))
            }
        }
        if seen.contains("password_file") && seen.contains("password_env") {
            return .failure(.init("names both password_file and password_env; use one"))
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
