import FerryConfig
import FerryStore
import FerryTestSupport
import Foundation
import Logging
import PasswordHashes
import Testing

@testable import FerryMigration

/// Whole logins through the engine and its executor, against the in-memory
/// store, legacy source and target: no socket, no database file.
@Suite struct LoginJourneyTests {
    struct Rig {
        let store = InMemoryStateStore()
        let source: InMemoryLegacySource
        let target: ScriptedTarget
        let clock = TestClock()
        let engine: MigrationEngine
        let services: MigrationServices

        init(
            users: [String] = ["ada", "bob", "cy"],
            target: ScriptedTarget = ScriptedTarget(otherwise: .created(newID: "n")),
            migration: String = "rate_per_second = 100\nburst = 100", guardFailures: Int = 5
        ) throws {
            var accounts: [String: LegacyAccount] = [:]
            for (index, name) in users.enumerated() {
                accounts[name] = .sample(
                    legacyID: "\(index + 1)", username: name, passwordHash: LegacyHashWriter.md5Hex("pw-\(name)"))
            }
            source = InMemoryLegacySource(accounts)
            self.target = target
            let config = try ProxyConfig.parse(
                """
                [server]
                listen = "127.0.0.1:0"
                [state]
                encryption_key_env = "KEY"
                [upstreams.legacy]
                url = "http://127.0.0.1:1"
                [upstreams.new]
                url = "http://127.0.0.1:2"
                [legacy]
                database = "sqlite:///nonexistent/legacy.db"
                user_query = "SELECT id AS legacy_id, pw AS password_hash FROM users WHERE name = :identifier"
                [target]
                kind = "scim"
                url = "http://127.0.0.1:2/scim/v2"
                token_env = "TOKEN"
                [migration]
                mode = "migrate"
                rollout_percent = 100
                \(migration)
                [migration.rehash]
                scheme = "bcrypt"
                bcrypt_cost = 10
                [login_guard]
                identifier_failures = \(guardFailures)
                """, file: "t.conf", baseDirectory: "/tmp",
                environment: ["KEY": String(repeating: "ab", count: 32), "TOKEN": "t"])
            services = MigrationServices(
                store: store, hashPool: HashWorkerPool(threads: 2, queueCapacity: 64),
                sealer: try JobSealer(key: Array(repeating: 0xAB, count: 32)), logger: Logger(label: "test"),
                clock: clock.now)
            engine = MigrationEngine(config: config, services: services, source: source, target: target)
        }

        func login(_ user: String, _ password: String? = nil) async -> String {
            await engine.route(identifier: user, password: password ?? "pw-\(user)").label
        }
    }

    /// The new platform is asked about the account Ferry provisioned, not the
    /// variant typed (" Ada" normalized to "ada" finds the legacy user "ada").
    @Test func theNewPlatformHearsTheProvisionedName() async throws {
        let rig = try Rig()
        defer { rig.services.hashPool.shutdown() }
        let first = await rig.engine.beginLogin(identifier: " ADA", password: "pw-ada")
        #expect(first.outcome.label == "new:just_migrated")
        #expect(first.newLogin == "ada")
        #expect(try await rig.store.record(for: "ada")?.newLogin == "ada")
        let later = await rig.engine.beginLogin(identifier: "Ada ", password: "anything")
        #expect(later.outcome.label == "new:migrated")
        #expect(later.newLogin == "ada")
        let legacy = await rig.engine.beginLogin(identifier: "BOB", password: "wrong")
        #expect(legacy.newLogin == nil, "only logins going to the new platform")
    }

    @Test func aFirstLoginMigratesAndTheNextGoesToNew() async throws {
        let rig = try Rig()
        defer { rig.services.hashPool.shutdown() }
        #expect(await rig.login("ada") == "new:just_migrated")
        #expect(try await rig.store.record(for: "ada")?.state == .migrated)
        #expect(rig.store.auditKinds == ["migrated"])
        #expect(rig.target.calls == 1)
        #expect(await rig.login("ada") == "new:migrated")
        #expect(rig.target.calls == 1)
    }

    @Test func concurrentLoginsOfOneUserProvisionOnce() async throws {
        let rig = try Rig(target: ScriptedTarget(otherwise: .created(newID: "n")))
        defer { rig.services.hashPool.shutdown() }
        let labels = await withTaskGroup(of: String.self) { group in
            for _ in 0..<12 { group.addTask { await rig.login("bob") } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(rig.target.calls == 1)
        #expect(labels.filter { $0 == "new:just_migrated" }.count == 1)
        #expect(
            labels.allSatisfy { ["new:just_migrated", "new:migrated", "legacy:provisioning_pending"].contains($0) })
    }

    /// One token per migration, taken before hash work: a wrong password gives
    /// its token back, so the budget goes to logins that migrate.
    @Test func theRateIsSpentOnlyOnMigrations() async throws {
        let rig = try Rig(migration: "rate_per_second = 0\nburst = 1")
        defer { rig.services.hashPool.shutdown() }
        #expect(await rig.login("ada", "wrong") == "legacy:wrong_password")
        #expect(await rig.login("bob") == "new:just_migrated")
        #expect(await rig.login("cy") == "legacy:rate_limited")
        #expect(try await rig.store.record(for: "cy") == nil, "no hash work and no record for a login over the rate")
        #expect(rig.target.calls == 1)
    }

    @Test func aStoreFailingAtTheClaimLeavesTheUserOnLegacy() async throws {
        let rig = try Rig()
        defer { rig.services.hashPool.shutdown() }
        rig.store.failing.withLock { $0 = ["claimProvisioning"] }
        #expect(await rig.login("ada") == "legacy:store_unavailable")
        #expect(rig.target.calls == 0)
        #expect(try await rig.store.record(for: "ada")?.state == .legacy)
        rig.store.failing.withLock { $0 = [] }
        #expect(await rig.login("ada") == "new:just_migrated")
    }

    @Test func aTargetThatIsDownKeepsTheJobForTheOutbox() async throws {
        let rig = try Rig(target: ScriptedTarget(otherwise: .unavailable("SCIM answered 503")))
        defer { rig.services.hashPool.shutdown() }
        #expect(await rig.login("ada") == "legacy:target_unavailable")
        #expect(try await rig.store.record(for: "ada")?.state == .provisioning)
        #expect(rig.store.openJobs.count == 1)
        #expect(await rig.login("ada") == "legacy:provisioning_pending")
    }

    @Test func wrongPasswordsLockTheIdentifier() async throws {
        let rig = try Rig(guardFailures: 3)
        defer { rig.services.hashPool.shutdown() }
        for _ in 0..<3 { #expect(await rig.login("ada", "guess") == "legacy:wrong_password") }
        #expect(await rig.login("ada") == "throttle:too_many_failures")
        #expect(try await rig.store.record(for: "ada")?.failures == 3)
        rig.clock.advance(901)
        #expect(await rig.login("ada") == "new:just_migrated")
    }

    @Test func unknownAndDisabledUsersStayOnLegacy() async throws {
        let rig = try Rig()
        defer { rig.services.hashPool.shutdown() }
        rig.source.accounts.withLock {
            $0["dora"] = .sample(
                legacyID: "9", username: "dora", passwordHash: LegacyHashWriter.md5Hex("pw-dora"), active: false)
        }
        #expect(await rig.login("nobody") == "legacy:unknown_user")
        #expect(await rig.login("dora") == "legacy:disabled_user")
        rig.source.unavailable.withLock { $0 = true }
        #expect(await rig.login("ada") == "legacy:source_unavailable")
        #expect(rig.target.calls == 0)
    }
}
