import Crypto
import FerryConfig
import Foundation
import GRDB
import Testing

@testable import FerryMigration
@testable import FerryStore

/// Signed checkpoints make a chain cut short, or rewritten, visible.
@Suite struct AuditCheckpointsTests {
    final class World {
        let directory: URL
        let store: SQLiteStateStore
        let settings: StateSettings
        let now = Date(timeIntervalSince1970: 1_800_000_000)

        init(every: Int = 3) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-audit-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let config = try ProxyConfig.parse(
                "[server]\nlisten = \"127.0.0.1:0\"\n[state]\nurl = \"sqlite://state.db\"\naudit_checkpoint_every = \(every)\n",
                file: "t.conf", baseDirectory: directory.path, environment: [:])
            settings = config.state
            store = try SQLiteStateStore(path: directory.appendingPathComponent("state.db").path)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        func append(_ count: Int) async throws {
            for index in 0..<count {
                try await store.appendAudit(kind: "test", identifier: "u\(index)", details: ["n": "\(index)"], at: now)
            }
        }

        /// What someone with write access to the database file can do.
        func tamper(_ sql: String) throws {
            try store.pool.write { db in
                try db.execute(sql: "DROP TRIGGER IF EXISTS audit_log_append_only_delete")
                try db.execute(sql: "DROP TRIGGER IF EXISTS audit_log_append_only_update")
                try db.execute(sql: sql)
            }
        }
    }

    @Test func checkpointsFollowTheHeadEveryNEventsAndOnDemand() async throws {
        let world = try World()
        let checkpoints = try AuditCheckpoints.open(world.settings, create: true)
        #expect(try await checkpoints.verify(world.store) == .noCheckpoint)
        try await world.append(2)
        #expect(try await checkpoints.checkpoint(world.store, at: world.now)?.sequence == 2, "the first one at once")
        try await world.append(2)
        #expect(try await checkpoints.checkpoint(world.store, at: world.now) == nil, "fewer than 3 events since")
        try await world.append(1)
        #expect(try await checkpoints.checkpoint(world.store, at: world.now)?.sequence == 5)
        try await world.append(1)
        #expect(try await checkpoints.checkpoint(world.store, at: world.now, force: true)?.sequence == 6)
        #expect(try await checkpoints.checkpoint(world.store, at: world.now, force: true) == nil, "nothing new")
        guard case .matches(let latest) = try await checkpoints.verify(world.store) else {
            Issue.record("an intact chain holds its checkpoint")
            return
        }
        #expect(latest.sequence == 6)
        let keyFile = world.directory.appendingPathComponent("state.db.audit-key").path
        let attributes = try FileManager.default.attributesOfItem(atPath: keyFile)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func deletingTheNewestEventsIsTruncation() async throws {
        let world = try World()
        let checkpoints = try AuditCheckpoints.open(world.settings, create: true)
        try await world.append(5)
        try await checkpoints.checkpoint(world.store, at: world.now, force: true)
        try world.tamper("DELETE FROM audit_log WHERE sequence > 3")
        #expect(try await world.store.verifyAuditChain() == .intact(events: 3), "the chain alone cannot tell")
        guard case .truncated(let checkpoint, let end) = try await checkpoints.verify(world.store) else {
            Issue.record("truncation must show")
            return
        }
        #expect(checkpoint.sequence == 5 && end == 3)
        // Refilled with new events: the checkpointed event's hash differs.
        try await world.append(2)
        guard case .rewritten = try await checkpoints.verify(world.store) else {
            Issue.record("a refilled chain is a rewritten one")
            return
        }
    }

    @Test func aCheckpointSignedByAnotherKeyIsRefused() async throws {
        let world = try World()
        try await world.append(3)
        let checkpoints = try AuditCheckpoints.open(world.settings, create: true)
        let forger = AuditCheckpoints(
            file: world.settings.auditCheckpointFile, every: 1, key: Curve25519.Signing.PrivateKey())
        try await forger.checkpoint(world.store, at: world.now, force: true)
        guard case .badSignature = try await checkpoints.verify(world.store) else {
            Issue.record("a forged checkpoint must not count")
            return
        }
    }

    @Test func verifyingNeverCreatesAKey() throws {
        let world = try World()
        #expect(throws: AuditCheckpointError.self) { try AuditCheckpoints.open(world.settings, create: false) }
        #expect(
            !FileManager.default.fileExists(atPath: world.directory.appendingPathComponent("state.db.audit-key").path))
    }
}
