import FerryConfig
import Foundation
import GRDB
import Testing

@testable import FerryMigration

/// A target error that a configuration fix cures never makes a user a
/// permanent failure; only meeting another user does.
struct SQLTargetErrorTests {
    @Test(arguments: [
        (ResultCode.SQLITE_CONSTRAINT_UNIQUE, true), (.SQLITE_CONSTRAINT_PRIMARYKEY, true),
        (.SQLITE_CONSTRAINT_NOTNULL, false), (.SQLITE_CONSTRAINT_CHECK, false), (.SQLITE_CONSTRAINT_FOREIGNKEY, false),
        (.SQLITE_CONSTRAINT_TRIGGER, false), (.SQLITE_BUSY, false), (.SQLITE_ERROR, false), (.SQLITE_IOERR, false),
    ])
    func onlyUniquenessIsAConflict(code: ResultCode, conflict: Bool) {
        switch SQLTarget.outcome(of: code, message: "m") {
        case .conflict: #expect(conflict, "\(code)")
        case .unavailable: #expect(!conflict, "\(code)")
        default: Issue.record("\(code): neither a conflict nor a retry")
        }
    }

    /// Through a real SQLite database: a statement that leaves a NOT NULL
    /// column empty keeps the job; the same job, after the statement is fixed,
    /// creates the user.
    @Test func aNotNullViolationIsRetriedAndTheFixFinishesIt() async throws {
        try await withTemporarySQLite(
            "CREATE TABLE accounts (id TEXT PRIMARY KEY, external_id TEXT UNIQUE, email TEXT NOT NULL)"
        ) { path, _ in
            func target(_ statement: String) throws -> SQLTarget {
                try SQLTarget(settings: try sqlTargetSettings(database: path, "statements = [\"\(statement)\"]"))
            }
            let job = ProvisioningJob(
                identity: CanonicalIdentity(
                    legacyID: "7", username: "ada", email: "ada@example.com",
                    credential: .init(passwordHash: "x", legacyScheme: "md5-hex")))
            let broken = try await target("INSERT INTO accounts (id, external_id) VALUES (:new_id, :legacy_id)")
                .provision(job)
            guard case .unavailable(let reason) = broken else {
                Issue.record("a NOT NULL violation is retried, got \(broken)")
                return
            }
            #expect(reason.contains("NOT NULL") && reason.contains("retried"), "\(reason)")
            let fixed = try target("INSERT INTO accounts (id, external_id, email) VALUES (:new_id, :legacy_id, :email)")
            #expect(await fixed.provision(job) == .created(newID: job.newID))
            let stranger = ProvisioningJob(
                identity: CanonicalIdentity(
                    legacyID: "8", username: "ada2", email: "ada@example.com",
                    credential: .init(passwordHash: "x", legacyScheme: "md5-hex")))
            let sameID = try target(
                "INSERT INTO accounts (id, external_id, email) VALUES ('\(job.newID)', :legacy_id, :email)")
            guard case .conflict = await sameID.provision(stranger) else {
                Issue.record("a uniqueness violation is a conflict")
                return
            }
        }
    }
}
