import FerryConfig
import Foundation
import GRDB
import Testing

@testable import FerryMigration

/// Dates read in every common stored form, kept to the microsecond, and
/// written in the form the target chooses.
struct LegacyDateTests {
    /// 2023-11-14T22:13:20Z.
    static let base = 1_700_000_000.0

    static let forms: [(String, Double)] = [
        ("1700000000", base),
        ("1700000000123", base + 0.123),
        ("1700000000.25", base + 0.25),
        ("2023-11-14T22:13:20Z", base),
        ("2023-11-14T22:13:20", base),
        ("2023-11-14 22:13:20", base),
        ("2023-11-14 22:13:20.123456", base + 0.123456),
        ("2023-11-14t22:13:20.5z", base + 0.5),
        ("2023-11-15T00:13:20+02:00", base),
        ("2023-11-14T16:43:20-0530", base),
        ("2023-11-14T22:13:20.000000001+00", base + 0.000_000_001),
        ("2023-11-14 22:13", base - 20),
        ("2023-11-14", base - 80_000),
        (" 2023-11-14 22:13:20 ", base),
    ]

    @Test(arguments: forms)
    func readsEveryCommonForm(text: String, seconds: Double) throws {
        let date = try #require(LegacyDate.parse(text), "\(text)")
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_000_5, "\(text): \(date.timeIntervalSince1970)")
    }

    @Test(arguments: [
        "", "yesterday", "2023-13-01", "2023-02-30 10:00", "2023-11-14T25:00", "2023-11-14T22:61",
        "2023-11-14T22:13:20.1234567890", "2023-11-14T22:13:20+2", "2023-11-14T22:13:20 UTC", "14/11/2023",
        "2023-11-14T22:13:20+24:00", "1e9",
    ])
    func refusesWhatIsNotADate(text: String) {
        #expect(LegacyDate.parse(text) == nil, "\(text)")
    }

    @Test func numbersAreSecondsOrMilliseconds() {
        #expect(LegacyDate.fromUnix(Self.base)?.timeIntervalSince1970 == Self.base)
        #expect(LegacyDate.fromUnix(Self.base * 1000)?.timeIntervalSince1970 == Self.base)
        #expect(LegacyDate.fromUnix(.nan) == nil)
    }

    @Test func eachFormKeepsMicroseconds() throws {
        let date = Date(timeIntervalSince1970: Self.base + 0.123456)
        #expect(TargetSettings.DateFormat.unix.value(date) as? Double == Self.base + 0.123456)
        #expect(TargetSettings.DateFormat.iso8601.value(date) as? String == "2023-11-14T22:13:20.123456Z")
        #expect(TargetSettings.DateFormat.sql.value(date) as? String == "2023-11-14 22:13:20.123456")
        for form in TargetSettings.DateFormat.allCases {
            let written = form.value(date)
            let read =
                (written as? Double).flatMap(LegacyDate.fromUnix) ?? (written as? String).flatMap(LegacyDate.parse)
            #expect(read.map { abs($0.timeIntervalSince(date)) < 0.000_001 } == true, "\(form) reads back")
        }
    }

    /// Every date parameter comes in the target's form and, by suffix, in each.
    @Test func sqlParametersOfferEveryForm() {
        let created = Date(timeIntervalSince1970: Self.base + 0.5)
        let job = ProvisioningJob(
            identity: CanonicalIdentity(
                legacyID: "7", username: "ada", credential: .init(passwordHash: "x", legacyScheme: "md5-hex"),
                metadata: .init(createdAt: created)))
        let values = SQLTarget.parameters(job, dateFormat: .sql, now: created)
        func text(_ name: String) -> String? { (values[name] ?? nil).map { "\($0.databaseValue)" } }
        #expect(text("created_at") == "\"2023-11-14 22:13:20.500000\"")
        #expect(text("created_at_iso8601") == "\"2023-11-14T22:13:20.500000Z\"")
        #expect(text("created_at_unix") == "1700000000.5")
        #expect(text("now_sql") == "\"2023-11-14 22:13:20.500000\"")
        #expect(values.keys.contains("last_login_at_sql") && text("last_login_at_sql") == nil, "NULL when unset")
    }

    /// A stored value that is not a date stops the login's read of the user
    /// with the column and the user named (the login goes to legacy).
    @Test func anUnreadableDateNamesItsColumnAndUser() async throws {
        try await withTemporarySQLite(
            """
            CREATE TABLE users (id INTEGER, email TEXT, pw TEXT, joined TEXT, seen INTEGER);
            INSERT INTO users VALUES (7, 'ada@example.com', 'x', '2023-11-14 22:13:20.123456', 1700000000123);
            INSERT INTO users VALUES (8, 'bob@example.com', 'x', 'last tuesday', NULL);
            """
        ) { path, database in
            let text = """
                [server]
                listen = "127.0.0.1:0"
                [legacy]
                database = "sqlite://\(path)"
                user_query = "SELECT id AS legacy_id, email, pw AS password_hash, joined AS created_at, seen AS last_login_at FROM users WHERE email = :identifier"
                """
            let source = try SQLiteLegacySource(
                settings: try #require(try ProxyConfig.parse(text, file: "t.conf", baseDirectory: "/tmp").legacy))
            let ada = try #require(try await source.account(for: "ada@example.com"))
            #expect(abs((ada.createdAt?.timeIntervalSince1970 ?? 0) - (Self.base + 0.123456)) < 0.000_001)
            #expect(ada.lastLoginAt?.timeIntervalSince1970 == Self.base + 0.123)
            await #expect(
                throws: LegacySourceError.badRow(
                    "column `created_at` of legacy user 8 is not a date Ferry can read (Unix seconds or milliseconds, or ISO 8601 such as 2024-05-01 10:20:30.123456+02:00)"
                )
            ) { try await source.account(for: "bob@example.com") }
        }
    }
}
