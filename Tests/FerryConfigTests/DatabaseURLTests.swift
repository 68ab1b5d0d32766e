import Testing

@testable import FerryConfig

/// `postgres://` and `mysql://` URLs: what they name, and a sentence for
/// every way they can be wrong (never repeating a secret).
struct DatabaseURLTests {
    @Test func aMySQLURLNamesItsServerAndOptions() throws {
        let location = try MySQLLocation.parse(
            "mysql://app@db.example:3307/users?ssl_mode=verify_identity&ssl_ca=/etc/ca.pem&password_env=DB_PW&pool_size=4"
        ).get()
        #expect(location.host == "db.example" && location.port == 3307 && location.user == "app")
        #expect(location.database == "users" && location.tls == .verifyIdentity && location.caFile == "/etc/ca.pem")
        #expect(location.passwordSource == .environment("DB_PW") && location.poolSize == 4)
        #expect(location.description == "mysql://app@db.example:3307/users?ssl_mode=verify_identity")
        let plain = try MySQLLocation.parse("mariadb://app@10.0.0.5/users").get()
        #expect(plain.port == 3306 && plain.tls == .required, "TLS unless told otherwise")
    }

    @Test(
        arguments: [
            (
                "mysql://app:secret@db/users",
                "must not carry a password; name a file with ?password_file= or a variable with ?password_env="
            ),
            ("mysql://db/users", "names no user (mysql://USER@db/…)"),
            ("mysql://app@db", "names no database (mysql://app@db/DATABASE)"),
            (
                "mysql://app@db/users?ssl_mode=preferred",
                "ssl_mode must be one of disabled, required, verify_identity, found \"preferred\""
            ),
            (
                "mysql://app@db/users?ssl_mode=verify_identity",
                "ssl_mode=verify_identity needs ssl_ca, the CA file that signs the server"
            ),
            ("mysql://app@db/users?ssl_ca=/ca.pem", "ssl_ca is only used with ssl_mode=verify_identity"),
            (
                "mysql://app@db/users?sslmode=disable",
                "has an unknown option ?sslmode= (known: ssl_mode, ssl_ca, password_file, password_env, pool_size)"
            ),
            ("mysql://app@db/users?pool_size=0", "pool_size must be 1–1000, found \"0\""),
            (
                "mysql://app@db/users?password_file=/a&password_env=B",
                "names both password_file and password_env; use one"
            ),
            ("mysql://app@db/users?pool_size=2&pool_size=3", "repeats ?pool_size="),
            ("mysql://app@db:70000/users", "port must be 1–65535"),
        ])
    func mysqlMistakesAreNamed(_ text: String, _ message: String) {
        guard case .failure(let error) = MySQLLocation.parse(text) else {
            Issue.record("\(text) was accepted")
            return
        }
        #expect(error.message == message)
    }

    @Test(
        arguments: [
            (
                "postgres://app@db/users?sslmode=verify",
                "sslmode must be one of disable, prefer, require, verify-full, found \"verify\""
            ),
            ("postgres://app@db/users?sslrootcert=/ca.pem", "sslrootcert is only used with sslmode=verify-full"),
            (
                "postgres://app@db/users?ssl_mode=disabled",
                "has an unknown option ?ssl_mode= (known: sslmode, sslrootcert, password_file, password_env, pool_size)"
            ),
            ("postgres://db/users", "names no user (postgres://USER@db/…)"),
        ])
    func postgresMistakesAreNamed(_ text: String, _ message: String) {
        guard case .failure(let error) = PostgresLocation.parse(text) else {
            Issue.record("\(text) was accepted")
            return
        }
        #expect(error.message == message)
    }

    @Test func ferrysOwnStateIsNeverMySQL() {
        let found = issues(
            """
            [server]
            listen = "127.0.0.1:0"
            [state]
            url = "mysql://ferry@db/ferry?ssl_mode=disabled"
            """)
        #expect(
            found.contains(
                "proxy.conf:4: key `state.url` names a MySQL database; Ferry's own state lives in SQLite or PostgreSQL (MySQL serves as legacy store and sql target)"
            ), "\(found)")
    }
}
