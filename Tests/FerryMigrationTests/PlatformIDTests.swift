import FerryConfig
import FerryStore
import Foundation
import GRDB
import Testing

@testable import FerryMigration

/// Ferry records the id the new platform gave the user, per-item statements
/// attach to it, and a store with no legacy-id column of Ferry's still tells
/// this user's account from a stranger's.
struct PlatformIDTests {
    /// A platform whose ids are its own (autoincrement) and that keeps no
    /// legacy id: what an application's own user table looks like.
    static let schema = """
        CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT UNIQUE NOT NULL, password TEXT NOT NULL);
        CREATE TABLE devices (user_id INTEGER NOT NULL REFERENCES users(id), secret TEXT NOT NULL);
        INSERT INTO users (email, password) VALUES ('first@example.com', 'x');
        """

    static func job(email: String = "ada@example.com", hash: String = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
        -> ProvisioningJob
    {
        ProvisioningJob(
            identity: CanonicalIdentity(
                legacyID: "7", email: email, credential: .init(passwordHash: hash, legacyScheme: "md5"),
                mfa: .init(totp: [.init(secret: "GEZDGNBVGY3TQOJQ")])))
    }

    @Test(arguments: [
        // The id comes back from the INSERT itself …
        (#"statements = ["INSERT INTO users (email, password) VALUES (:email, :password_hash) RETURNING id AS new_id"]"#),
        // … or from a query run after it, in the same transaction.
        ("""
        statements = ["INSERT INTO users (email, password) VALUES (:email, :password_hash)"]
        id_query = "SELECT last_insert_rowid() AS new_id"
        """),
    ])
    func thePlatformsOwnIDIsRecordedAndUsed(statements: String) async throws {
        try await withTemporarySQLite(Self.schema) { path, database in
            let settings = try sqlTargetSettings(
                database: path,
                """
                \(statements)
                totp_statements = ["INSERT INTO devices VALUES (:new_id, :totp_secret)"]
                """,
                existing: "SELECT id AS new_id, password AS password_hash FROM users WHERE email = :email")
            let target = try SQLTarget(settings: settings)
            #expect(await target.provision(Self.job()) == .created(newID: "2"), "the platform's id, not Ferry's")
            #expect(try await database.read { db in try Int.fetchOne(db, sql: "SELECT user_id FROM devices") } == 2)
            // A retry proves the account is this user's by the very hash it carries.
            #expect(await target.provision(Self.job()) == .alreadyThere(newID: "2"))
            // Someone else with that email (a different hash) is a conflict.
            guard case .conflict = await target.provision(Self.job(hash: "$argon2id$other")) else {
                Issue.record("a stranger's account must be a conflict")
                return
            }
            #expect(try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") } == 2)
        }
    }

    /// What `existing_query` returns decides whether the account is provably ours.
    @Test(arguments: [
        ("SELECT '5' AS new_id, '7' AS legacy_id", TargetOutcome.alreadyThere(newID: "5")),
        ("SELECT '5' AS new_id, '8' AS legacy_id", .conflict("the new platform already has a different user")),
        (
            "SELECT '5' AS new_id, NULL AS legacy_id",
            .conflict("the new platform already has a user with this identifier that Ferry did not create")
        ),
        ("SELECT '5' AS new_id, NULL AS legacy_id, 'h' AS password_hash", .alreadyThere(newID: "5")),
        ("SELECT '5' AS new_id, 'h2' AS password_hash", .conflict("the new platform already has a different user")),
        (
            "SELECT '5' AS new_id",
            .conflict(
                "existing_query found a user but returns neither `legacy_id` nor `password_hash`, so it cannot be shown to be this one"
            )
        ),
    ])
    func ownershipIsProvedNotAssumed(query: String, outcome: TargetOutcome) throws {
        let row = try #require(try DatabaseQueue().read { db in try Row.fetchOne(db, sql: query) })
        #expect(SQLTarget.ownership(of: QueryRow(row), job: Self.job(hash: "h")) == outcome)
    }

    @Test func anIDQueryThatFindsNothingKeepsTheJob() async throws {
        try await withTemporarySQLite(Self.schema) { path, database in
            let settings = try sqlTargetSettings(
                database: path,
                """
                statements = ["INSERT INTO users (email, password) VALUES (:email, :password_hash)"]
                id_query = "SELECT id AS new_id FROM users WHERE email = 'nobody'"
                """,
                existing: "SELECT id AS new_id, password AS password_hash FROM users WHERE email = :email")
            guard case .unavailable(let reason) = try await SQLTarget(settings: settings).provision(Self.job()) else {
                Issue.record("a missing id is for the operator to fix; the job stays")
                return
            }
            #expect(reason.contains("id_query returned no `new_id`"))
            #expect(
                try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") } == 1,
                "nothing half-written")
        }
    }
}
