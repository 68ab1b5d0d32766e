import FerryConfig
import FerryStore
import FerryTestSupport
import Foundation
import Testing

@testable import FerryMigration

/// The sql target writing into a real MariaDB database: typed columns fed
/// escaped text, the platform's own AUTO_INCREMENT ids (`id_query`, as MySQL
/// has no `RETURNING`), one transaction per job, and MySQL's errors read as
/// the SQLite target reads its own.
@Suite(.enabled(if: TestMySQL.url != nil, "FERRY_TEST_MYSQL_URL names no server"))
struct MySQLSQLTargetTests {
    static let schema = [
        """
        CREATE TABLE accounts (id BIGINT AUTO_INCREMENT PRIMARY KEY, external_id VARCHAR(64) UNIQUE,
            user_name VARCHAR(150) NOT NULL UNIQUE, email VARCHAR(200) NOT NULL, password VARCHAR(255),
            is_staff BOOLEAN, badge INT, created_at DATETIME(6), mfa_enrolled BOOLEAN) ENGINE=InnoDB
        """,
        """
        CREATE TABLE totp (account_id BIGINT NOT NULL, secret VARCHAR(64) NOT NULL, digits INT, label VARCHAR(50),
            last_step BIGINT, confirmed BOOLEAN, FOREIGN KEY (account_id) REFERENCES accounts(id)) ENGINE=InnoDB
        """,
    ]

    static let insertAccount =
        "INSERT INTO accounts (external_id, user_name, email, password, is_staff, badge, created_at, mfa_enrolled) VALUES (:legacy_id, :username, :email, :password_hash, :attr_is_staff, :attr_badge, :created_at, :mfa_enrolled)"

    static func target(
        _ url: String, statement: String = insertAccount, idQuery: String = "SELECT LAST_INSERT_ID() AS new_id"
    )
        throws -> MySQLSQLTarget
    {
        let text = """
            [server]
            listen = "127.0.0.1:0"
            [target]
            kind = "sql"
            database = "\(url)"
            date_format = "sql"
            existing_query = "SELECT id AS new_id, external_id AS legacy_id FROM accounts WHERE user_name = :username"
            statements = ["\(statement)"]
            id_query = "\(idQuery)"
            totp_statements = ["INSERT INTO totp VALUES (:new_id, :totp_secret, :totp_digits, :totp_label, :totp_last_used_step, :totp_confirmed)"]
            lookup_query = "SELECT 1 FROM accounts WHERE user_name = :identifier"
            """
        let settings = try #require(try ProxyConfig.parse(text, file: "t.conf", baseDirectory: "/tmp").target)
        return try MySQLSQLTarget(settings: settings)
    }

    static func fixture() async throws -> (url: String, database: ExternalMySQL) {
        let url = try await TestMySQL.freshDatabaseURL()
        let name = TestMySQL.database(of: url)
        try await TestMySQL.execute(schema, database: name)
        return (url, ExternalMySQL(location: try TestMySQL.location(database: name), timeout: .seconds(10)))
    }

    static func count(_ database: ExternalMySQL) async throws -> QueryValue? {
        try await database.read { session in
            try await session.rows("SELECT COUNT(*) AS n FROM accounts", [:]).first?["n"]
        }
    }

    @Test(.timeLimit(.minutes(1))) func aUserIsWrittenWithThePlatformsIdAndTypedColumns() async throws {
        let (url, database) = try await Self.fixture()
        let target = try Self.target(url)
        let job = PostgresSQLTargetTests.job()
        guard case .created(let newID) = await target.provision(job) else {
            Issue.record("the user is created")
            return
        }
        #expect(Int(newID) != nil, "the id MariaDB gave the row, not Ferry's: \(newID)")
        let rows = try await database.read { session in
            try await session.rows(
                "SELECT a.id, is_staff, badge, created_at, mfa_enrolled, t.digits, t.label, t.last_step, t.confirmed FROM accounts a JOIN totp t ON t.account_id = a.id",
                [:])
        }
        let row = try #require(rows.first)
        #expect(rows.count == 1)
        #expect(row["id"].textValue == newID, "the factor hangs on the platform's id")
        #expect(row["is_staff"] == .integer(1) && row["badge"] == .integer(42))
        #expect(row["created_at"] == .date(Date(timeIntervalSince1970: 1_551_427_200.123456)), "microseconds kept")
        #expect(row["mfa_enrolled"] == .integer(1))
        #expect(row["digits"] == .integer(8) && row["label"] == .text("Phone") && row["last_step"] == .integer(55555))

        #expect(await target.provision(job) == .alreadyThere(newID: newID))
        #expect(await target.holdsUser("ada") == true)
        #expect(await target.holdsUser("nobody") == false)
        #expect(await target.holdsUser("' OR '1'='1") == false)
        guard case .conflict(let reason) = await target.provision(PostgresSQLTargetTests.job(legacyID: "8")) else {
            Issue.record("another user's name is a conflict")
            return
        }
        #expect(!reason.contains("ada@example.com"), "\(reason)")
    }

    @Test(.timeLimit(.minutes(1))) func aSchemaMistakeKeepsTheJobAndNothingIsHalfWritten() async throws {
        let (url, database) = try await Self.fixture()
        // The account row goes in, but the id query answers nothing useful: the
        // factor points at no account (a foreign-key violation), and the
        // transaction writes nothing.
        let broken = try Self.target(url, idQuery: "SELECT -1 AS new_id")
        guard case .unavailable(let reason) = await broken.provision(PostgresSQLTargetTests.job()) else {
            Issue.record("a schema mistake is retried")
            return
        }
        #expect(reason.contains("1452") && reason.contains("retried"), "\(reason)")
        #expect(try await Self.count(database) == .integer(0), "rolled back whole")
        guard case .created = await (try Self.target(url)).provision(PostgresSQLTargetTests.job()) else {
            Issue.record("the fixed statements create the user")
            return
        }
    }

    /// A statement binding the hash to an integer column: MySQL's message
    /// quotes the value; Ferry's never does.
    @Test(.timeLimit(.minutes(1))) func aValueThatDoesNotFitIsNeverQuoted() async throws {
        let (url, _) = try await Self.fixture()
        let target = try Self.target(
            url,
            statement:
                "INSERT INTO accounts (external_id, user_name, email, badge) VALUES (:legacy_id, :username, :email, :password_hash)"
        )
        let job = PostgresSQLTargetTests.job()
        guard case .unavailable(let reason) = await target.provision(job) else {
            Issue.record("a type mismatch keeps the job")
            return
        }
        #expect(reason.contains("1366"), "\(reason.count) characters")
        #expect(!reason.contains(job.identity.credential.passwordHash), "the hash is not in the reason")
        #expect(!reason.contains("argon2"), "no part of the hash either")
    }

    @Test(
        arguments: [
            (1062 as UInt32, "conflict"), (1586, "conflict"), (1048, "fix"), (1452, "fix"), (1146, "fix"),
            (1054, "fix"), (1366, "fix"), (2013, "retry"), (1213, "retry"),
        ])
    func onlyDuplicateKeysAreAConflict(code: UInt32, expected: String) {
        switch SQLTarget.outcome(mysql: MySQLError(code: code, sqlState: "23000", message: "m")) {
        case .conflict: #expect(expected == "conflict")
        case .unavailable(let reason): #expect(expected == (reason.contains("need fixing") ? "fix" : "retry"))
        default: Issue.record("neither")
        }
    }
}
