import FerryDemo
import FerryTestSupport
import Foundation
import GRDB
import PasswordHashes
import Testing

/// Ferry reads the legacy users from MariaDB: the sample legacy platform's
/// users, factors, consents and roles copied into MySQL tables with MySQL's
/// own types (BOOLEAN, DATETIME(6)), read with the demo's very statements.
/// Customers log in through Ferry as always.
@Suite(.enabled(if: TestMySQL.url != nil, "FERRY_TEST_MYSQL_URL names no server"))
struct MySQLLegacyTests {
    static let schema = [
        // Usernames compare with case, as the sample platform's do: MySQL's
        // default collation would not, and "Ada" and "ada" would both match.
        """
        CREATE TABLE users (id INT PRIMARY KEY, username VARCHAR(150) COLLATE utf8mb4_bin NOT NULL UNIQUE,
            email VARCHAR(254) NOT NULL, password_hash VARCHAR(255) NOT NULL, salt VARCHAR(64),
            status VARCHAR(20) NOT NULL, given_name VARCHAR(100), family_name VARCHAR(100), locale VARCHAR(20),
            created_at DATETIME(6) NOT NULL, last_login_at DATETIME(6), is_staff BOOLEAN NOT NULL)
        """,
        """
        CREATE TABLE totp (user_id INT PRIMARY KEY, secret VARCHAR(64) NOT NULL, digits SMALLINT, period INT,
            algorithm VARCHAR(10), label VARCHAR(100), last_used_step BIGINT, drift INT)
        """,
        "CREATE TABLE recovery_codes (user_id INT NOT NULL, code_sha256 CHAR(64) NOT NULL, used BOOLEAN NOT NULL)",
        """
        CREATE TABLE consents (user_id INT NOT NULL, purpose VARCHAR(50) NOT NULL, client VARCHAR(50) NOT NULL,
            version VARCHAR(20) NOT NULL, granted BOOLEAN NOT NULL, granted_at DATETIME(6) NOT NULL)
        """,
        "CREATE TABLE user_roles (rowid INT PRIMARY KEY, user_id INT NOT NULL, role VARCHAR(50) NOT NULL)",
    ]

    /// The server is this test's own: it stops it midway, and the other
    /// tests' server must not stop.
    @Test(.timeLimit(.minutes(3)))
    func usersMigrateFromAMariaDBLegacyStore() async throws {
        try await Throwaway.withServer("mariadb") { directory, server in
            let url = try #require(server["FERRY_TEST_MYSQL_URL"])
            try await MigrationScenarioTests.inWorld(
                .sql,
                configure: { config in
                    config.legacyDatabase = url
                    config.sessionsExtra = "store_database = \"sqlite://legacy.db\""
                }
            ) { world in
                let rows = try await PostgresLegacyTests.copy(world.legacy.database) { "FROM_UNIXTIME(\($0))" }
                try await TestMySQL.execute(
                    Self.schema + rows, database: TestMySQL.database(of: url), server: directory)

                try await PostgresLegacyTests.theSampleMigrates(world)

                // MariaDB gone: logins go to legacy, which answers; back, they migrate.
                // One nobody has logged in as yet (the wrong password was not one).
                var untouched: [DemoSeed.Credential] = []
                for user in world.credentials where user.totpSecret == nil && !user.isStaff {
                    if try world.newAccounts(user.username).isEmpty { untouched.append(user) }
                }
                let later = try #require(untouched.first)
                try await Throwaway.run("mariadb", "pause", directory)
                let during = try await world.login(later.username, later.password)
                #expect(during.cookies["legacy_session"] != nil, "legacy answered: \(during)")
                #expect(try world.newAccounts(later.username).isEmpty)
                try await Throwaway.run("mariadb", "resume", directory)
                #expect(
                    try await world.eventually {
                        OperationsTests.loggedInOnNew(try await world.login(later.username, later.password))
                    })
            }
        }
    }
}
