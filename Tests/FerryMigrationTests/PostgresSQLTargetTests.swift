import FerryConfig
import FerryStore
import FerryTestSupport
import Foundation
import Testing

@testable import FerryMigration

/// The sql target writing into a real PostgreSQL database: typed columns fed
/// untyped parameters, the platform's own ids, one transaction per job, and
/// the SQLite target's reading of errors.
@Suite(.enabled(if: TestPostgres.url != nil, "FERRY_TEST_POSTGRES_URL names no server"))
struct PostgresSQLTargetTests {
    static let schema = [
        """
        CREATE TABLE accounts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), external_id text UNIQUE,
            user_name text NOT NULL UNIQUE, email text NOT NULL, password text, is_staff boolean,
            badge integer, created_at timestamptz, mfa_enrolled boolean)
        """,
        """
        CREATE TABLE totp (account_id uuid NOT NULL REFERENCES accounts(id), secret text NOT NULL, digits integer,
            label text, last_step bigint, confirmed boolean)
        """,
    ]

    static let insertAccount =
        "INSERT INTO accounts (external_id, user_name, email, password, is_staff, badge, created_at, mfa_enrolled) VALUES (:legacy_id, :username, :email, :password_hash, :attr_is_staff, :attr_badge, :created_at, :mfa_enrolled) RETURNING id AS new_id"

    static func job(legacyID: String = "7", username: String = "ada") -> ProvisioningJob {
        ProvisioningJob(
            identity: CanonicalIdentity(
                legacyID: legacyID, username: username, email: "\(username)@example.com",
                credential: .init(passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", legacyScheme: "md5"),
                mfa: .init(totp: [.init(secret: "GEZDGNBVGY3TQOJQ", digits: 8, label: "Phone", lastUsedStep: 55555)]),
                metadata: .init(createdAt: Date(timeIntervalSince1970: 1_551_427_200.123456)),
                attributes: ["is_staff": .boolean(true), "badge": .integer(42)]))
    }

    static func target(_ url: String, statement: String = insertAccount) throws -> PostgresSQLTarget {
        let text = """
            [server]
            listen = "127.0.0.1:0"
            [target]
            kind = "sql"
            database = "\(url)"
            date_format = "iso8601"
            existing_query = "SELECT id AS new_id, external_id AS legacy_id FROM accounts WHERE user_name = :username"
            statements = ["\(statement)"]
            totp_statements = ["INSERT INTO totp VALUES (:new_id, :totp_secret, :totp_digits, :totp_label, :totp_last_used_step, :totp_confirmed)"]
            lookup_query = "SELECT 1 FROM accounts WHERE user_name = :identifier"
            """
        let settings = try #require(try ProxyConfig.parse(text, file: "t.conf", baseDirectory: "/tmp").target)
        return try PostgresSQLTarget(settings: settings)
    }

    static func fixture() async throws -> (url: String, location: PostgresLocation) {
        let url = try await TestPostgres.freshDatabaseURL()
        let location = try TestPostgres.location(
            database: try #require(URLComponents(string: url)).path.dropFirst().description)
        try await TestPostgres.execute(schema, in: location)
        return (url, location)
    }

    @Test(.timeLimit(.minutes(1))) func aUserIsWrittenWithThePlatformsIdAndTypedColumns() async throws {
        let (url, location) = try await Self.fixture()
        let target = try Self.target(url)
        let job = Self.job()
        guard case .created(let newID) = await target.provision(job) else {
            Issue.record("the user is created")
            return
        }
        #expect(UUID(uuidString: newID) != nil, "the id PostgreSQL gave the row, not Ferry's: \(newID)")
        #expect(newID != job.newID)

        let database = try ExternalPostgres(location: location, timeout: .seconds(10))
        let rows = try await database.read { session in
            try await session.rows(
                "SELECT a.id::text AS id, is_staff, badge, created_at, mfa_enrolled, t.digits, t.label, t.last_step, t.confirmed FROM accounts a JOIN totp t ON t.account_id = a.id",
                [:])
        }
        let row = try #require(rows.first)
        #expect(rows.count == 1)
        #expect(row["id"] == .text(newID), "the factor hangs on the platform's id")
        #expect(row["is_staff"] == .boolean(true) && row["badge"] == .integer(42))
        #expect(row["created_at"] == .date(Date(timeIntervalSince1970: 1_551_427_200.123456)), "microseconds kept")
        #expect(row["mfa_enrolled"] == .boolean(true))
        #expect(row["digits"] == .integer(8) && row["label"] == .text("Phone") && row["last_step"] == .integer(55555))
        #expect(row["confirmed"] == .boolean(true))

        // The same job again: its own row, found and recognised.
        #expect(await target.provision(job) == .alreadyThere(newID: newID))
        #expect(await target.holdsUser("ada") == true)
        #expect(await target.holdsUser("nobody") == false)
        // Another legacy user under the same name: never merged.
        guard case .conflict = await target.provision(Self.job(legacyID: "8")) else {
            Issue.record("another user's name is a conflict")
            return
        }
    }

    @Test(.timeLimit(.minutes(1))) func aSchemaMistakeKeepsTheJobAndNothingIsHalfWritten() async throws {
        let (url, location) = try await Self.fixture()
        // The account row goes in, but no id comes back, so the factor points at
        // no account (a foreign-key violation): the transaction writes nothing.
        let broken = try Self.target(
            url,
            statement:
                "INSERT INTO accounts (external_id, user_name, email) VALUES (:legacy_id, :username, :email) RETURNING NULL::uuid AS new_id"
        )
        guard case .unavailable(let reason) = await broken.provision(Self.job()) else {
            Issue.record("a schema mistake is retried")
            return
        }
        #expect(reason.contains("23503") && reason.contains("retried"), "\(reason)")
        let database = try ExternalPostgres(location: location, timeout: .seconds(10))
        let count = try await database.read { session in
            try await session.rows("SELECT count(*) AS n FROM accounts", [:]).first?["n"]
        }
        #expect(count == .integer(0), "rolled back whole")
        // Fixed, the same job goes through.
        guard case .created = await (try Self.target(url)).provision(Self.job()) else {
            Issue.record("the fixed statements create the user")
            return
        }
    }

    /// A statement binding the hash to a column of the wrong type: the
    /// server's message would quote the value; Ferry's never does.
    @Test(.timeLimit(.minutes(1))) func aValueThatDoesNotFitIsNeverQuoted() async throws {
        let (url, _) = try await Self.fixture()
        let target = try Self.target(
            url,
            statement:
                "INSERT INTO accounts (external_id, user_name, email, badge) VALUES (:legacy_id, :username, :email, :password_hash) RETURNING id AS new_id"
        )
        let job = Self.job()
        guard case .unavailable(let reason) = await target.provision(job) else {
            Issue.record("a type mismatch keeps the job")
            return
        }
        #expect(reason.contains("22P02"), "\(reason.count) characters")
        #expect(!reason.contains(job.identity.credential.passwordHash), "the hash is not in the reason")
        #expect(!reason.contains("argon2"), "no part of the hash either")
    }

    @Test(
        arguments: [
            ("23505", "conflict"), ("23502", "retry"), ("23514", "retry"), ("23503", "retry"), ("42703", "retry"),
            ("42P01", "retry"), ("40001", "retry"), (nil, "retry"),
        ] as [(String?, String)])
    func onlyUniquenessIsAConflict(state: String?, expected: String) {
        switch SQLTarget.outcome(sqlState: state, summary: "s") {
        case .conflict: #expect(expected == "conflict")
        case .unavailable: #expect(expected == "retry")
        default: Issue.record("neither")
        }
    }

    @Test(.timeLimit(.minutes(1))) func checkConfigConnectAsksTheServer() async throws {
        let (_, location) = try await Self.fixture()
        let findings = await ConnectionCheck.checkServer(
            .postgres(location), key: "target.database",
            queries: [
                ("good", "SELECT id AS new_id FROM accounts WHERE user_name = :username"),
                ("bad", "SELECT nickname FROM accounts WHERE user_name = :username"),
            ])
        #expect(findings.map(\.key) == ["target.database", "good", "bad"])
        #expect(findings[0].problem == nil && findings[1].problem == nil)
        #expect(findings[2].problem?.contains("nickname") == true, "\(findings)")
        var nowhere = location
        nowhere.port = 1
        let unreachable = await ConnectionCheck.checkServer(.postgres(nowhere), key: "legacy.database", queries: [])
        #expect(unreachable.first?.problem != nil)
    }
}
