import FerryDemo
import FerryTestSupport
import Foundation
import GRDB
import PasswordHashes
import Testing

/// Ferry reads the legacy users from PostgreSQL: the sample legacy platform's
/// users, factors, consents and roles copied into a PostgreSQL database with
/// PostgreSQL's own types (booleans, timestamps), read with the demo's very
/// statements. Customers log in through Ferry as always.
@Suite(.enabled(if: TestPostgres.url != nil, "FERRY_TEST_POSTGRES_URL names no server"))
struct PostgresLegacyTests {
    static let schema = [
        """
        CREATE TABLE users (id integer PRIMARY KEY, username text NOT NULL UNIQUE, email text NOT NULL,
            password_hash text NOT NULL, salt text, status text NOT NULL, given_name text, family_name text,
            locale text, created_at timestamptz NOT NULL, last_login_at timestamptz, is_staff boolean NOT NULL)
        """,
        """
        CREATE TABLE totp (user_id integer PRIMARY KEY, secret text NOT NULL, digits smallint, period integer,
            algorithm text, label text, last_used_step bigint, drift integer)
        """,
        "CREATE TABLE recovery_codes (user_id integer NOT NULL, code_sha256 text NOT NULL, used boolean NOT NULL)",
        """
        CREATE TABLE consents (user_id integer NOT NULL, purpose text NOT NULL, client text NOT NULL,
            version text NOT NULL, granted boolean NOT NULL, granted_at timestamptz NOT NULL)
        """,
        // `rowid` keeps the roles' order for the demo's `ORDER BY rowid`.
        "CREATE TABLE user_roles (rowid integer PRIMARY KEY, user_id integer NOT NULL, role text NOT NULL)",
    ]

    /// A SQL literal for a fixture value (text quoted, numbers as they are);
    /// `timestamp` spells a point in time from Unix seconds.
    static func literal(
        _ value: DatabaseValue, as type: String = "", timestamp: (String) -> String = { "to_timestamp(\($0))" }
    ) -> String {
        switch value.storage {
        case .null: return "NULL"
        case .int64(let number):
            if type == "bool" { return number == 0 ? "false" : "true" }
            if type == "time" { return timestamp(String(number)) }
            return String(number)
        case .double(let number): return type == "time" ? timestamp(String(number)) : String(number)
        case .string(let text): return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        case .blob: return "NULL"
        }
    }

    /// The sample legacy platform's rows as INSERT statements for `schema`.
    static func copy(
        _ legacy: DatabaseQueue, timestamp: @escaping @Sendable (String) -> String = { "to_timestamp(\($0))" }
    ) async throws -> [String] {
        let tables: [(String, String, [String: String])] = [
            (
                "users",
                "SELECT id, username, email, password_hash, salt, status, given_name, family_name, locale, created_at, last_login_at, is_staff FROM users",
                ["created_at": "time", "last_login_at": "time", "is_staff": "bool"]
            ),
            (
                "totp", "SELECT user_id, secret, digits, period, algorithm, label, last_used_step, drift FROM totp",
                [:]
            ),
            ("recovery_codes", "SELECT user_id, code_sha256, used FROM recovery_codes", ["used": "bool"]),
            (
                "consents", "SELECT user_id, purpose, client, version, granted, granted_at FROM consents",
                ["granted": "bool", "granted_at": "time"]
            ),
            ("user_roles", "SELECT rowid, user_id, role FROM user_roles", [:]),
        ]
        return try await legacy.read { db in
            var statements: [String] = []
            for (table, query, types) in tables {
                for row in try Row.fetchAll(db, sql: query) {
                    let values = row.map { name, value in
                        literal(value, as: types[name] ?? "", timestamp: timestamp)
                    }
                    statements.append("INSERT INTO \(table) VALUES (\(values.joined(separator: ", ")))")
                }
            }
            return statements
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func usersMigrateFromAPostgresLegacyStore() async throws {
        let url = try await TestPostgres.freshDatabaseURL()
        let database = try #require(URLComponents(string: url)).path.dropFirst().description
        try await MigrationScenarioTests.inWorld(
            .sql,
            configure: { config in
                config.legacyDatabase = url
                // The session store stays the sample platform's own file.
                config.sessionsExtra = "store_database = \"sqlite://legacy.db\""
            }
        ) { world in
            try await TestPostgres.execute(
                Self.schema + (try await Self.copy(world.legacy.database)),
                in: try TestPostgres.location(database: database))

            try await Self.theSampleMigrates(world)
        }
    }

    /// The sample's users migrate from the copied store: a plain and a
    /// staff user (flag and roles), a TOTP user whose factor works on the new
    /// platform, consents with their times; a wrong password migrates nothing.
    static func theSampleMigrates(_ world: MigrationWorld) async throws {
        // A plain user and a staff user: password judged from the store's row, migrated.
        let plain = try #require(world.credentials.first { $0.totpSecret == nil && !$0.isStaff })
        #expect(OperationsTests.loggedInOnNew(try await world.login(plain.username, plain.password)))
        #expect(try world.newAccounts(plain.username).count == 1)
        let staff = try #require(world.credentials.first { $0.isStaff && $0.totpSecret == nil })
        #expect(OperationsTests.loggedInOnNew(try await world.login(staff.username, staff.password)))
        let account = try #require(try world.newAccounts(staff.username).first)
        let (isStaff, roles) = try await world.new.database.read { db in
            (
                try Bool.fetchOne(db, sql: "SELECT is_staff FROM accounts WHERE id = ?", arguments: [account.id]),
                try String.fetchAll(
                    db, sql: "SELECT role FROM account_roles WHERE account_id = ? ORDER BY rowid",
                    arguments: [account.id])
            )
        }
        #expect(isStaff == true, "a boolean column arrives as the staff flag")
        #expect(roles == staff.roles, "roles arrive in order")

        // A TOTP user: the factor (with its label) comes from the store and works on the new platform.
        let mfaUser = try #require(world.credentials.first { $0.totpSecret != nil })
        let first = try await world.login(mfaUser.username, mfaUser.password)
        #expect(first.status == 200, "the new platform asks for the second factor")
        let pending = try #require(first.cookies["new_mfa"])
        let code = TOTP(secret: try #require(Base32.decode(mfaUser.totpSecret!))).code(at: Date())
        let second = try await world.send(
            .POST, world.base + "/login/mfa", form: [("code", code)], cookies: ["new_mfa": pending])
        #expect(second.status == 303)

        // Consents keep their time from a timestamp column.
        let mfaAccount = try #require(try world.newAccounts(mfaUser.username).first)
        let consentTimes = try await world.new.database.read { db in
            try Double.fetchAll(
                db, sql: "SELECT granted_at FROM consent_records WHERE account_id = ? ORDER BY purpose",
                arguments: [mfaAccount.id])
        }
        let legacyTimes = try await world.legacy.database.read { db in
            try Double.fetchAll(
                db,
                sql:
                    "SELECT granted_at FROM consents WHERE user_id = (SELECT id FROM users WHERE username = ?) ORDER BY purpose",
                arguments: [mfaUser.username])
        }
        #expect(!legacyTimes.isEmpty)
        #expect(consentTimes.count == legacyTimes.count)
        for (carried, original) in zip(consentTimes, legacyTimes) { #expect(abs(carried - original) < 0.001) }

        // A wrong password is legacy's to answer; nothing migrates.
        let other = try #require(world.credentials.last { $0.totpSecret == nil && !$0.isStaff })
        let wrong = try await world.login(other.username, "not-the-password")
        #expect(wrong.cookies["new_session"] == nil && wrong.cookies["legacy_session"] == nil)
        #expect(try world.newAccounts(other.username).isEmpty)
    }
}
