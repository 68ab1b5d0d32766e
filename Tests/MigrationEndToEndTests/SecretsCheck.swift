import FerryDemo
import Foundation
import GRDB
import Testing

@testable import FerryStore

/// Everything a migration wrote where people read — Ferry's logs, its access
/// log, its metrics, the audit log and the state store's rows — searched for
/// every secret the run handled: passwords, TOTP secrets, legacy and new
/// hashes, session ids and the shared tokens.
enum SecretsCheck {
    static func secrets(of world: MigrationWorld, sessions: [String]) throws -> [String] {
        var secrets = world.credentials.map(\.password)
        secrets += world.credentials.compactMap(\.totpSecret).flatMap { [$0, $0.lowercased()] }
        secrets += world.credentials.compactMap(\.recoveryCode)
        secrets += try world.legacy.database.read { db in
            try String.fetchAll(db, sql: "SELECT password_hash FROM users")
                + String.fetchAll(db, sql: "SELECT code_sha256 FROM recovery_codes")
        }
        secrets += try world.new.database.read { db in
            try String.fetchAll(db, sql: "SELECT password_phc FROM accounts WHERE password_phc IS NOT NULL")
        }
        secrets += [world.secrets.adminToken, world.secrets.scimToken, world.secrets.webhookKey]
        secrets += sessions.filter { $0.count >= 16 }
        return secrets.filter { !$0.isEmpty }
    }

    static func haystack(of world: MigrationWorld) async throws -> [(String, String)] {
        var places: [(String, String)] = world.logs.all.map { ("ferry log", $0) }
        world.server.flushAccessLog()
        try? world.accessLog.synchronize()
        let access = (try? String(contentsOfFile: world.accessLogPath, encoding: .utf8)) ?? ""
        places += access.split(separator: "\n").map { ("access log", String($0)) }
        places.append(("metrics", try await world.metrics()))
        let store = try world.store()
        places += try await store.pool.read { db in
            let audit = try Row.fetchAll(db, sql: "SELECT kind, identifier, details FROM audit_log").map {
                ("audit log", "\($0)")
            }
            let records = try Row.fetchAll(db, sql: "SELECT * FROM migration_records").map { ("state record", "\($0)") }
            let outbox = try Row.fetchAll(db, sql: "SELECT identifier, last_error FROM outbox").map {
                ("outbox", "\($0)")
            }
            return audit + records + outbox
        }
        return places
    }

    static func assertNoSecrets(in world: MigrationWorld, sessions: [String]) async throws {
        let secrets = try secrets(of: world, sessions: sessions)
        let places = try await haystack(of: world)
        #expect(places.contains { $0.0 == "access log" }, "the access log was written")
        #expect(places.contains { $0.0 == "ferry log" }, "Ferry logged")
        for (place, text) in places {
            for secret in secrets where text.contains(secret) {
                // Say where, never what.
                Issue.record("a secret (\(secret.count) characters) appears in the \(place)")
            }
        }
    }
}
