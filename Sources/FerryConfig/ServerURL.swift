import Foundation

/// What Ferry resolves in any database server's location once it is parsed.
public protocol DatabaseServerLocation {
    var caFile: String? { get set }
    var passwordSource: PostgresLocation.PasswordSource? { get set }
    var password: Secret? { get set }
}

extension PostgresLocation: DatabaseServerLocation {}
extension MySQLLocation: DatabaseServerLocation {}

/// What `postgres://` and `mysql://` URLs share: `USER@HOST[:PORT]/DATABASE`,
/// the password read from a file or a variable (never the URL), and the pool
/// size. Engine options (TLS) are left for the engine's own parser.
struct ServerURL {
    var host: String
    var port: Int
    var user: String
    var database: String
    var passwordSource: PostgresLocation.PasswordSource?
    var poolSize: Int
    /// The query's other options, each named once.
    var options: [String: String]

    /// `scheme` is how errors spell the URL (`postgres`); `schemes` are the
    /// prefixes accepted; `engineOptions` are named when an option is unknown.
    static func parse(
        _ text: String, schemes: [String], scheme: String, defaultPort: Int, engineOptions: [String],
        defaultPoolSize: Int
    ) -> Result<ServerURL, PostgresLocationError> {
        guard schemes.contains(where: { text.hasPrefix($0 + "://") }), let components = URLComponents(string: text)
        else { return .failure(.init("must be a \(scheme)://USER@HOST:PORT/DATABASE URL")) }
        if components.password != nil {
            return .failure(
                .init("must not carry a password; name a file with ?password_file= or a variable with ?password_env="))
        }
        guard let host = components.host, !host.isEmpty else { return .failure(.init("names no host")) }
        guard let user = components.user, !user.isEmpty else {
            return .failure(.init("names no user (\(scheme)://USER@\(host)/…)"))
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            return .failure(.init("names no database (\(scheme)://\(user)@\(host)/DATABASE)"))
        }
        let port = components.port ?? defaultPort
        guard (1...65535).contains(port) else { return .failure(.init("port must be 1–65535")) }
        var url = ServerURL(
            host: host, port: port, user: user, database: database, passwordSource: nil, poolSize: defaultPoolSize,
            options: [:])
        var seen: Set<String> = []
        for item in components.queryItems ?? [] {
            guard seen.insert(item.name).inserted else { return .failure(.init("repeats ?\(item.name)=")) }
            let value = item.value ?? ""
            switch item.name {
            case "password_file":
                guard !value.isEmpty else { return .failure(.init("password_file names no file")) }
                url.passwordSource = .file(value)
            case "password_env":
                guard !value.isEmpty else { return .failure(.init("password_env names no variable")) }
                url.passwordSource = .environment(value)
            case "pool_size":
                guard let size = Int(value), (1...1000).contains(size) else {
                    return .failure(.init("pool_size must be 1–1000, found \"\(value)\""))
                }
                url.poolSize = size
            case let name where engineOptions.contains(name):
                url.options[name] = value
            default:
                let known = (engineOptions + ["password_file", "password_env", "pool_size"]).joined(separator: ", ")
                return .failure(.init("has an unknown option ?\(item.name)= (known: \(known))"))
            }
        }
        if seen.contains("password_file") && seen.contains("password_env") {
            return .failure(.init("names both password_file and password_env; use one"))
        }
        return .success(url)
    }
}
