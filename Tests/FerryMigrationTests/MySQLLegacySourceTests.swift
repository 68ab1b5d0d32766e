import FerryConfig
import FerryTestSupport
import Foundation
import Logging
import Synchronization
import Testing

@testable import FerryMigration
@testable import FerryStore

/// The legacy user store on a real MariaDB server: the same statements and
/// aliases as on SQLite and PostgreSQL, values in MySQL's own types, read in
/// read-only snapshots, parameters escaped by the connection.
@Suite(.enabled(if: TestMySQL.url != nil, "FERRY_TEST_MYSQL_URL names no server"))
struct MySQLLegacySourceTests {
    static let schema = [
        // A binary collation: MySQL's default ones compare without case, and
        // this store tells "Ada" from "ada".
        """
        CREATE TABLE members (uid INT PRIMARY KEY, login VARCHAR(100) COLLATE utf8mb4_bin, mail VARCHAR(200),
            pw VARCHAR(200), state VARCHAR(20), first VARCHAR(50), joined TIMESTAMP(6) NULL, seen DATETIME(6) NULL,
            born DATE NULL, staff BOOLEAN NULL, balance DECIMAL(10,2) NULL, visits BIGINT NULL, prefs JSON NULL,
            level ENUM('basic', 'gold') NULL, token VARBINARY(16) NULL, flags BIT(8) NULL)
        """,
        """
        CREATE TABLE factors (uid INT, type VARCHAR(10), secret VARCHAR(64), digits SMALLINT, last_step BIGINT,
            confirmed BOOLEAN, label VARCHAR(50))
        """,
        "CREATE TABLE grants (uid INT, purpose VARCHAR(20), version VARCHAR(10), ok BOOLEAN, at DATETIME NULL)",
        "CREATE TABLE roles (uid INT, role VARCHAR(20), position INT)",
        """
        INSERT INTO members VALUES (7, 'Ada', 'ada@example.com', 'abc', 'ACTIVE', 'Ada',
            '2019-03-01 08:00:00.123456', '2024-05-01 08:30:00.5', '1990-12-10', TRUE, 12.50, 9000000000,
            '{"theme": "dark"}', 'gold', X'00FF', b'00000101')
        """,
        """
        INSERT INTO members (uid, login, mail, pw, state, staff) VALUES (8, 'ada', 'ada2@example.com', 'def',
            'active', FALSE), (9, 'bob', 'bob@example.com', 'ghi', 'locked', NULL)
        """,
        "INSERT INTO factors VALUES (7, 'totp', '3132333435363738393031323334353637383930', 8, 55555, TRUE, 'Phone')",
        "INSERT INTO grants VALUES (7, 'tos', '3', TRUE, '2020-09-13 12:26:40'), (7, 'marketing', 'v1', FALSE, NULL)",
        "INSERT INTO roles VALUES (7, 'support', 2), (7, 'admin', 1), (7, 'admin', 3)",
    ]

    static let userQuery =
        "SELECT uid AS legacy_id, login AS username, mail AS email, pw AS password_hash, state AS status, first AS given_name, joined AS created_at, seen, born, staff, balance, visits, prefs, level, token, flags FROM members WHERE login = :identifier OR lower(mail) = lower(:identifier)"

    /// A fresh database holding the schema above, as a config URL.
    static func fixture(options: String? = nil) async throws -> String {
        let url = try await TestMySQL.freshDatabaseURL(options: options)
        try await TestMySQL.execute(schema, database: TestMySQL.database(of: url))
        return url
    }

    /// A deadline for a loaded machine (the suite runs many servers' tests
    /// at once on two cores): what is tested is what comes back, not how fast.
    static func source(user: String = userQuery, url: String? = nil, allUsers: Bool = true) async throws
        -> MySQLLegacySource
    {
        var databaseURL = url ?? ""
        if url == nil { databaseURL = try await fixture() }
        return try MySQLLegacySource(
            settings: try PostgresLegacySourceTests.settings(databaseURL, user: user, allUsers: allUsers),
            timeout: .seconds(10))
    }

    @Test(.timeLimit(.minutes(1))) func aUserIsReadWithFactorsConsentsRolesAndTypedAttributes() async throws {
        let source = try await Self.source()
        let ada = try #require(try await source.account(for: "Ada"))
        #expect(ada.legacyID == "7")
        #expect(ada.username == "Ada" && ada.email == "ada@example.com" && ada.passwordHash == "abc")
        #expect(ada.active, "status is compared without case")
        #expect(ada.profile.givenName == "Ada")
        let created = try #require(ada.createdAt)
        #expect(abs(created.timeIntervalSince1970 - 1_551_427_200.123456) < 0.000_001, "microseconds kept, UTC")
        #expect(ada.attributes["seen"] == .date(Date(timeIntervalSince1970: 1_714_552_200.5)), "DATETIME is UTC")
        #expect(ada.attributes["born"] == .date(Date(timeIntervalSince1970: 660_787_200)))
        #expect(ada.attributes["staff"] == .boolean(true), "TINYINT(1) is MySQL's BOOLEAN")
        #expect(ada.attributes["balance"] == .number(12.5))
        #expect(ada.attributes["visits"] == .integer(9_000_000_000))
        #expect(ada.attributes["prefs"] == .text(#"{"theme": "dark"}"#))
        #expect(ada.attributes["level"] == .text("gold"), "an enum reads as its label")
        #expect(ada.attributes["token"] == .text("AP8="), "bytes as base64")
        #expect(ada.attributes["flags"] == .integer(5))
        #expect(ada.roles == ["admin", "support"], "in the query's order, duplicates dropped")
        let totp = try #require(ada.mfa.totp.first)
        #expect(totp.digits == 8 && totp.lastUsedStep == 55555 && totp.confirmed && totp.label == "Phone")
        #expect(totp.secret == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        #expect(ada.consents.map(\.purpose) == ["tos", "marketing"])
        #expect(ada.consents.map(\.granted) == [true, false])
        #expect(ada.consents.first?.at == Date(timeIntervalSince1970: 1_600_000_000))

        #expect(try await source.account(for: "nobody") == nil)
        let bob = try #require(try await source.account(for: "bob@example.com"))
        #expect(!bob.active && bob.attributes["staff"] == .null)

        let seen = Mutex<[String]>([])
        try await source.forEachUser { user in seen.withLock { $0.append(user.legacyID) } }
        #expect(seen.withLock { $0 } == ["7", "8", "9"])
    }

    /// Every user, streamed in batches (more than one here); a reader that
    /// stops early leaves the connection fit for the next call.
    @Test(.timeLimit(.minutes(1))) func everyUserIsStreamedAndAnEarlyStopIsClean() async throws {
        let url = try await Self.fixture(options: nil)
        try await TestMySQL.execute(
            [
                "INSERT INTO members (uid, login, pw, state) SELECT seq, CONCAT('user', seq), 'x', 'active' FROM seq_10_to_1212"
            ],
            database: TestMySQL.database(of: url))
        let source = try await Self.source(url: url)
        let count = Mutex(0)
        try await source.forEachUser { _ in count.withLock { $0 += 1 } }
        #expect(count.withLock { $0 } == 1206)
        struct Enough: Error {}
        await #expect(throws: Enough.self) {
            try await source.forEachUser { user in if user.legacyID == "20" { throw Enough() } }
        }
        #expect(try await source.account(for: "Ada") != nil, "the connection went back clean")
        count.withLock { $0 = 0 }
        try await source.forEachUser { _ in count.withLock { $0 += 1 } }
        #expect(count.withLock { $0 } == 1206)
    }

    /// The server closes kept connections (its `wait_timeout`, a restart):
    /// the next read opens a new one instead of sending a login to legacy.
    @Test(.timeLimit(.minutes(1))) func aConnectionTheServerClosedIsReplaced() async throws {
        // A deadline for a loaded machine: what is tested is that the closed
        // connection is replaced, not how fast.
        let source = try MySQLLegacySource(
            settings: try PostgresLegacySourceTests.settings(
                try await Self.fixture(), user: Self.userQuery, allUsers: false),
            timeout: .seconds(15))
        let id = try await source.database.read { session in
            try await session.rows("SELECT CONNECTION_ID() AS id", [:]).first?["id"].textValue
        }
        // Only this source's one connection: the other tests share the server.
        try await TestMySQL.execute(["KILL CONNECTION \(try #require(id))"], database: nil)
        #expect(try await source.account(for: "Ada") != nil)
    }

    /// Identifiers are values, never SQL: quotes, backslashes and comments
    /// find nobody.
    @Test(
        .timeLimit(.minutes(1)),
        arguments: [
            "' OR '1'='1", "\\' OR 1=1 -- ", "Ada' -- ", "Ada\\", "\" OR \"\"=\"", "Ada'; DELETE FROM members; -- ",
        ])
    func injectionFindsNobody(_ identifier: String) async throws {
        let source = try await Self.source()
        #expect(try await source.account(for: identifier) == nil)
        #expect(try await source.account(for: "Ada") != nil, "the members are all still there")
    }

    @Test(.timeLimit(.minutes(1))) func twoRowsForOneIdentifierAreAmbiguous() async throws {
        let source = try await Self.source(
            user: "SELECT uid AS legacy_id, pw AS password_hash FROM members WHERE lower(login) = lower(:identifier)")
        await #expect(throws: LegacySourceError.ambiguous) { try await source.account(for: "ADA") }
    }

    @Test(.timeLimit(.minutes(1))) func mistakesAreNamedAndNothingCanBeWritten() async throws {
        let typo = try await Self.source(
            user:
                "SELECT uid AS legacy_id, pw AS password_hash FROM members WHERE login = :identifier AND state <> :blocked"
        )
        let unknown = await #expect(throws: LegacySourceError.self) { try await typo.account(for: "Ada") }
        #expect(
            "\(unknown!)".contains(":blocked, which Ferry does not supply here (it supplies :identifier)"),
            "\(unknown!)")
        let column = try await Self.source(
            user: "SELECT uid AS legacy_id, pw AS password_hash, nickname FROM members WHERE login = :identifier")
        let missing = await #expect(throws: LegacySourceError.self) { try await column.account(for: "Ada") }
        #expect("\(missing!)".contains("1054") && "\(missing!)".contains("nickname"), "\(missing!)")

        // One statement per call: a second one is a syntax error, not run.
        let url = try await Self.fixture()
        let stacked = try await Self.source(
            user:
                "SELECT uid AS legacy_id, pw AS password_hash FROM members WHERE login = :identifier; DELETE FROM members",
            url: url)
        await #expect(throws: LegacySourceError.self) { try await stacked.account(for: "Ada") }
        // The snapshot is read-only: a write fails there.
        let refused = await #expect(throws: MySQLError.self) {
            try await stacked.database.read { session in try await session.rows("DELETE FROM members", [:]) }
        }
        #expect(refused?.code == 1792, "READ ONLY transaction: \(String(describing: refused))")
        #expect(try await Self.source(url: url).account(for: "Ada") != nil, "the members are all still there")
    }

    @Test(.timeLimit(.minutes(1))) func aServerThatIsNotThereIsUnavailableQuickly() async throws {
        let url = try #require(TestMySQL.url)
        var components = try #require(URLComponents(string: url))
        components.port = 1
        let source = try await Self.source(url: components.string!, allUsers: false)
        let started = ContinuousClock.now
        let error = await #expect(throws: LegacySourceError.self) { try await source.account(for: "Ada") }
        guard case .unavailable(let message) = error else {
            Issue.record("expected unavailable, got \(String(describing: error))")
            return
        }
        #expect(message.contains("2002") || message.contains("2003"), "\(message)")
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    /// TLS: the default (`required`) and `verify_identity` with the CA that
    /// signed the server; a CA that did not is refused.
    @Test(.timeLimit(.minutes(1))) func tlsIsRequiredAndVerified() async throws {
        let server = try #require(TestMySQL.url)
        let password = try #require(
            URLComponents(string: server)?.queryItems?.first { $0.name == "password_file" }?.value)
        let ca = try #require(TestMySQL.caFile)
        let required = try await Self.source(url: try await Self.fixture(options: "password_file=\(password)"))
        #expect(try await required.account(for: "Ada") != nil)
        let verified = try await Self.source(
            url: try await Self.fixture(options: "ssl_mode=verify_identity&ssl_ca=\(ca)&password_file=\(password)"))
        #expect(try await verified.account(for: "Ada") != nil)
        // Any other CA: the server's certificate does not chain to it.
        let otherCA = try #require(TestPostgres.caFile ?? Optional("/etc/ssl/certs/ca-certificates.crt"))
        let wrong = try await Self.source(
            url: try await Self.fixture(options: "ssl_mode=verify_identity&ssl_ca=\(otherCA)&password_file=\(password)")
        )
        let error = await #expect(throws: LegacySourceError.self) { try await wrong.account(for: "Ada") }
        guard case .unavailable = error else {
            Issue.record("expected unavailable, got \(String(describing: error))")
            return
        }
    }

    /// `sessions.store_query` on MariaDB, and `check-config --connect`.
    @Test(.timeLimit(.minutes(1))) func theSessionStoreAndTheConnectionCheck() async throws {
        let url = try await Self.fixture()
        let live = SessionCredential(kind: .cookie, name: "legacy_session", value: "live-session-id")
        let revoked = SessionCredential(kind: .cookie, name: "legacy_session", value: "revoked-session-id")
        try await TestMySQL.execute(
            [
                "CREATE TABLE sessions (id_sha256 CHAR(64) PRIMARY KEY, user_id INT, expires_at DATETIME)",
                "INSERT INTO sessions VALUES ('\(live.idHash)', 7, UTC_TIMESTAMP() + INTERVAL 1 HOUR)",
            ], database: TestMySQL.database(of: url))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-my-sessions-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStateStore(path: directory.appendingPathComponent("state.db").path)
        let config = try ProxyConfig.parse(
            """
            [server]
            listen = "127.0.0.1:0"
            [sessions]
            store_database = "\(url)"
            store_query = "SELECT expires_at, user_id AS user FROM sessions WHERE id_sha256 = :session_id_sha256"
            """, file: "t.conf", baseDirectory: directory.path, environment: [:])
        let tracker = try LegacySessionTracker(config: config, store: store, logger: Logger(label: "test"))
        #expect(await tracker.verdict(for: live) == .alive)
        #expect(await tracker.verdict(for: revoked) == .ended, "the store has no such session")

        let location = try #require(config.sessions.storeDatabase)
        let findings = await ConnectionCheck.checkServer(
            location, key: "legacy.database",
            queries: [
                ("good", "SELECT uid FROM members WHERE login = :identifier"),
                ("bad", "SELECT nickname FROM members WHERE login = :identifier"),
            ])
        #expect(findings.map(\.key) == ["legacy.database", "good", "bad"])
        #expect(findings[0].problem == nil && findings[1].problem == nil)
        #expect(findings[2].problem?.contains("nickname") == true, "\(findings)")
    }
}
