import FerryConfig
import FerryTestSupport
import Foundation
import Logging
import Synchronization
import Testing

@testable import FerryMigration
@testable import FerryStore

/// The legacy user store on a real PostgreSQL server: the same statements and
/// aliases as on SQLite, values in PostgreSQL's own types, read-only.
@Suite(.enabled(if: TestPostgres.url != nil, "FERRY_TEST_POSTGRES_URL names no server"))
struct PostgresLegacySourceTests {
    static let schema = [
        "CREATE TYPE tier AS ENUM ('basic', 'gold')",
        """
        CREATE TABLE members (uid integer PRIMARY KEY, login text, mail varchar(200), pw text, state text,
            first text, joined timestamptz, seen timestamp, born date, staff boolean, balance numeric(10,2),
            visits bigint, ref uuid, prefs jsonb, level tier, addr inet)
        """,
        "CREATE TABLE factors (uid integer, type text, secret text, digits smallint, last_step bigint, confirmed boolean, label text)",
        "CREATE TABLE grants (uid integer, purpose text, version text, ok boolean, at timestamptz)",
        "CREATE TABLE roles (uid integer, role text, position integer)",
        """
        INSERT INTO members VALUES (7, 'Ada', 'ada@example.com', 'abc', 'ACTIVE', 'Ada',
            '2019-03-01 10:00:00.123456+02', '2024-05-01 08:30:00.5', '1990-12-10', true, 12.50, 9000000000,
            'A1B2C3D4-0000-4000-8000-000000000001', '{"theme": "dark"}', 'gold', '10.0.0.1')
        """,
        "INSERT INTO members VALUES (8, 'ada', 'ada2@example.com', 'def', 'active', NULL, NULL, NULL, NULL, false)",
        "INSERT INTO members VALUES (9, 'bob', 'bob@example.com', 'ghi', 'locked')",
        "INSERT INTO factors VALUES (7, 'totp', '3132333435363738393031323334353637383930', 8, 55555, true, 'Phone')",
        "INSERT INTO grants VALUES (7, 'tos', '3', true, '2020-09-13 12:26:40+00')",
        "INSERT INTO grants VALUES (7, 'marketing', 'v1', false, NULL)",
        "INSERT INTO roles VALUES (7, 'support', 2), (7, 'admin', 1), (7, 'admin', 3)",
    ]

    static let userQuery =
        "SELECT uid AS legacy_id, login AS username, mail AS email, pw AS password_hash, state AS status, first AS given_name, joined AS created_at, seen, born, staff, balance, visits, ref, prefs, level FROM members WHERE login = :identifier OR lower(mail) = lower(:identifier)"

    /// A fresh database holding the schema above, as a config URL.
    static func fixture() async throws -> String {
        let url = try await TestPostgres.freshDatabaseURL()
        try await TestPostgres.execute(
            schema,
            in: try TestPostgres.location(
                database: try #require(URLComponents(string: url)).path.dropFirst().description))
        return url
    }

    static func source(
        user: String = userQuery, url: String? = nil, allUsers: Bool = true
    ) async throws -> PostgresLegacySource {
        var databaseURL = url ?? ""
        if url == nil { databaseURL = try await fixture() }
        return try PostgresLegacySource(settings: try settings(databaseURL, user: user, allUsers: allUsers))
    }

    /// `[legacy]` reading the `members` schema (the MySQL tests' too).
    static func settings(_ databaseURL: String, user: String, allUsers: Bool) throws -> LegacySourceSettings {
        let text = """
            [server]
            listen = "127.0.0.1:0"
            [legacy]
            database = "\(databaseURL)"
            user_query = "\(user)"
            mfa_query = "SELECT type AS kind, secret, digits, last_step AS last_used_step, confirmed, label FROM factors WHERE uid = :legacy_id"
            consents_query = "SELECT purpose, version, ok AS granted, at AS granted_at FROM grants WHERE uid = :legacy_id"
            roles_query = "SELECT role FROM roles WHERE uid = :legacy_id ORDER BY position"
            \(allUsers ? "all_users_query = \"SELECT uid AS legacy_id, login AS username, pw AS password_hash, state AS status FROM members ORDER BY uid\"" : "")
            case_sensitive = true
            totp_secret_encoding = "hex"
            """
        return try #require(try ProxyConfig.parse(text, file: "t.conf", baseDirectory: "/tmp").legacy)
    }

    @Test(.timeLimit(.minutes(1))) func aUserIsReadWithFactorsConsentsRolesAndTypedAttributes() async throws {
        let source = try await Self.source()
        let ada = try #require(try await source.account(for: "Ada"))
        // The integer id is compared with an untyped parameter, as psql would.
        #expect(ada.legacyID == "7")
        #expect(ada.username == "Ada" && ada.email == "ada@example.com" && ada.passwordHash == "abc")
        #expect(ada.active, "status is compared without case")
        #expect(ada.profile.givenName == "Ada")
        let created = try #require(ada.createdAt)
        #expect(
            abs(created.timeIntervalSince1970 - 1_551_427_200.123456) < 0.000_001, "microseconds kept, offset applied")
        #expect(ada.attributes["seen"] == .date(Date(timeIntervalSince1970: 1_714_552_200.5)), "no zone is UTC")
        #expect(ada.attributes["born"] == .date(Date(timeIntervalSince1970: 660_787_200)))
        #expect(ada.attributes["staff"] == .boolean(true))
        #expect(ada.attributes["balance"] == .number(12.5))
        #expect(ada.attributes["visits"] == .integer(9_000_000_000))
        #expect(ada.attributes["ref"] == .text("a1b2c3d4-0000-4000-8000-000000000001"), "uuid as PostgreSQL writes it")
        #expect(ada.attributes["prefs"] == .text(#"{"theme": "dark"}"#))
        #expect(ada.attributes["level"] == .text("gold"), "an enum reads as its label")
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

    @Test(.timeLimit(.minutes(1))) func twoRowsForOneIdentifierAreAmbiguous() async throws {
        // "ada" by login and "ada2@…" do not collide; "ADA@EXAMPLE.COM" by mail finds one;
        // a query matching both Ada and ada by folded login finds two.
        let source = try await Self.source(
            user: "SELECT uid AS legacy_id, pw AS password_hash FROM members WHERE lower(login) = lower(:identifier)")
        await #expect(throws: LegacySourceError.ambiguous) { try await source.account(for: "ADA") }
    }

    @Test(.timeLimit(.minutes(1))) func mistakesAreNamedAndNothingCanBeWritten() async throws {
        // (The config check already refuses a user_query without :identifier.)
        let typo = try await Self.source(
            user:
                "SELECT uid AS legacy_id, pw AS password_hash FROM members WHERE login = :identifier AND state <> :blocked"
        )
        let unknown = await #expect(throws: LegacySourceError.self) { try await typo.account(for: "Ada") }
        #expect(
            "\(unknown!)".contains(":blocked, which Ferry does not supply here (it supplies :identifier)"),
            "\(unknown!)")

        let inet = try await Self.source(
            user: "SELECT uid AS legacy_id, pw AS password_hash, addr FROM members WHERE login = :identifier")
        let unreadable = await #expect(throws: LegacySourceError.self) { try await inet.account(for: "Ada") }
        #expect("\(unreadable!)".contains("column `addr`") && "\(unreadable!)".contains("addr::text"))

        // A statement that writes fails in the read-only snapshot, and writes nothing.
        let url = try await Self.fixture()
        let writer = try await Self.source(
            user:
                "WITH gone AS (DELETE FROM members RETURNING uid) SELECT uid AS legacy_id, pw AS password_hash FROM members WHERE login = :identifier",
            url: url)
        let refused = await #expect(throws: LegacySourceError.self) { try await writer.account(for: "Ada") }
        #expect("\(refused!)".contains("25006"), "read-only transaction: \(refused!)")
        #expect(try await Self.source(url: url).account(for: "Ada") != nil, "the members are all still there")
    }

    @Test(.timeLimit(.minutes(1))) func aServerThatIsNotThereIsUnavailableQuickly() async throws {
        let url = try #require(TestPostgres.url)
        var components = try #require(URLComponents(string: url))
        components.port = 1
        let source = try await Self.source(url: components.string!, allUsers: false)
        let started = ContinuousClock.now
        let error = await #expect(throws: LegacySourceError.self) { try await source.account(for: "Ada") }
        guard case .unavailable = error else {
            Issue.record("expected unavailable, got \(String(describing: error))")
            return
        }
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    /// `sessions.store_query` on PostgreSQL: the store's answer decides
    /// whether a legacy session lives, by the hash of its id.
    @Test(.timeLimit(.minutes(1))) func theSessionStoreOnPostgreSQLAnswersForLegacySessions() async throws {
        let url = try await Self.fixture()
        let database = try #require(URLComponents(string: url)).path.dropFirst().description
        let live = SessionCredential(kind: .cookie, name: "legacy_session", value: "live-session-id")
        let revoked = SessionCredential(kind: .cookie, name: "legacy_session", value: "revoked-session-id")
        try await TestPostgres.execute(
            [
                "CREATE TABLE sessions (id_sha256 text PRIMARY KEY, user_id integer, expires_at timestamptz)",
                "INSERT INTO sessions VALUES ('\(live.idHash)', 7, now() + interval '1 hour')",
            ], in: try TestPostgres.location(database: database))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-pg-sessions-\(UUID())")
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
    }
}
