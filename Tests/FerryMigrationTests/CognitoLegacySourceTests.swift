import FerryConfig
import FerryTestSupport
import Foundation
import GRDB
import PasswordHashes
import Synchronization
import Testing

@testable import FerryMigration

/// The Cognito source against moto, a third-party Cognito emulator, in server
/// mode (`scripts/cognito-throwaway`): users read with AdminGetUser, judged
/// with AdminInitiateAuth, listed with ListUsers, and migrated.
@Suite(.enabled(if: TestCognito.endpoint != nil, "FERRY_TEST_COGNITO_ENDPOINT names no emulator"))
struct CognitoLegacySourceTests {
    static func source(endpoint: String? = nil) throws -> CognitoLegacySource {
        let config = try ProxyConfig.parse(
            "[server]\nlisten = \"127.0.0.1:0\"\n" + TestCognito.legacyTables(endpoint: endpoint), file: "t.conf",
            baseDirectory: "/tmp")
        return try CognitoLegacySource(settings: try #require(config.legacy?.cognito))
    }

    @Test func aUserIsMappedWithGroupsAndCustomAttributes() async throws {
        let account = try #require(try await Self.source().account(for: "ada"))
        #expect(account.username == "ada" && account.email == "ada@example.com" && account.emailVerified)
        #expect(account.profile.givenName == "Ada" && account.profile.familyName == "Lovelace")
        #expect(account.phone == "+441234567890")
        #expect(Set(account.roles) == ["gold-members", "staff"])
        #expect(account.attributes["custom_tier"] == .text("gold"))
        #expect(account.active && account.judgedByLegacy && account.passwordHash.isEmpty)
        #expect(UUID(uuidString: account.legacyID) != nil, "the sub is the legacy id")
        #expect(try await Self.source().account(for: "nobody") == nil)
    }

    /// SMS MFA is the user's phone number, carried; nobody without MFA gets a factor.
    @Test func anSMSFactorIsCarriedAsThePhoneNumber() async throws {
        let sally = try #require(try await Self.source().account(for: "sally"))
        #expect(sally.mfa.phones.map(\.number) == ["+441234567890"])
        #expect(sally.mfa.phones.first?.verified == true)
        #expect(sally.unexportedFactors.isEmpty)
        #expect(sally.factorsNotCarried(targetHolds: [.phone]).isEmpty)
        #expect(sally.factorsNotCarried(targetHolds: [.totp]) == ["phone"])
        #expect(sally.attributes["cognito_mfa"] == .text("SMS_MFA"))
        // Her right password is answered with the SMS challenge: still a yes.
        #expect(try await Self.source().judge(sally, password: "sally-Passw0rd!") == .accepted)
        #expect(try await Self.source().judge(sally, password: "wrong") == .rejected)
        let grace = try #require(try await Self.source().account(for: "grace"))
        #expect(grace.mfa.phones.isEmpty && grace.unexportedFactors.isEmpty)
    }

    /// An authenticator app's secret never leaves Cognito: the factor is named
    /// by Cognito's own word, for `unsupported_mfa` to decide; her password
    /// answered with the app's challenge is still a yes.
    @Test func aSoftwareTokenIsNamedNotCarried() async throws {
        let mae = try #require(try await Self.source().account(for: "mae"))
        #expect(mae.unexportedFactors == ["SOFTWARE_TOKEN_MFA"])
        #expect(mae.mfa.totp.isEmpty && mae.mfa.phones.isEmpty)
        #expect(mae.factorsNotCarried(targetHolds: [.totp, .phone]) == ["SOFTWARE_TOKEN_MFA"])
        #expect(try await Self.source().judge(mae, password: "mae-Passw0rd!") == .accepted)
        #expect(try await Self.source().judge(mae, password: "wrong") == .rejected)
    }

    @Test func cognitoJudgesThePassword() async throws {
        let source = try Self.source()
        let ada = try #require(try await source.account(for: "ada"))
        #expect(await source.judge(ada, password: "ada-Passw0rd!") == .accepted)
        #expect(await source.judge(ada, password: "wrong") == .rejected)
        let barred = try #require(try await source.account(for: "barred"))
        #expect(!barred.active, "a disabled user stays on legacy")
    }

    @Test func anEmulatorNobodyRunsIsUnavailableNeverAWrongPassword() async throws {
        let source = try Self.source(endpoint: "http://127.0.0.1:\(freeLoopbackPort())")
        await #expect(throws: LegacySourceError.self) { try await source.account(for: "ada") }
        let account = LegacyAccount(
            legacyID: "x", username: "ada", email: nil, emailVerified: false, phone: nil, passwordHash: "", salt: nil,
            status: nil, active: true, profile: .init(), createdAt: nil, lastLoginAt: nil, mfa: .init(), consents: [])
        guard case .unavailable = await source.judge(account, password: "ada-Passw0rd!") else {
            Issue.record("expected unavailable")
            return
        }
    }

    @Test func everyUserIsListed() async throws {
        let names = Mutex<[String]>([])
        try await Self.source().forEachUser { account in names.withLock { $0.append(account.username ?? "?") } }
        #expect(Set(names.withLock { $0 }) == ["ada", "grace", "barred", "sally", "mae"])
    }

    static let accounts = """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY, external_id TEXT UNIQUE, user_name TEXT, hash TEXT, tier TEXT, reenroll INTEGER);
        """

    /// The engine reading the pool at `endpoint` (the emulator's by default)
    /// into an sql target holding `accounts`.
    static func engine(target: String, endpoint: String? = nil, migration: String = "") throws -> (
        MigrationEngine, HashWorkerPool
    ) {
        try engineWithSQLTarget(
            TestCognito.legacyTables(endpoint: endpoint) + """

                [target]
                kind = "sql"
                database = "sqlite://\(target)"
                existing_query = "SELECT id AS new_id, external_id AS legacy_id FROM accounts WHERE external_id = :legacy_id"
                statements = ["INSERT INTO accounts (id, external_id, user_name, hash, tier, reenroll) VALUES (:new_id, :legacy_id, :username, :password_hash, :attr_custom_tier, :mfa_reenroll_required)"]
                [migration]
                mode = "migrate"
                rollout_percent = 100
                \(migration)
                """)
    }

    @Test func usersMigrateByCognitosAnswer() async throws {
        try await withTemporarySQLite(Self.accounts) { target, database in
            let (engine, pool) = try Self.engine(target: target)
            defer { pool.shutdown() }
            #expect(await engine.route(identifier: "grace", password: "nope").label == "legacy:wrong_password")
            #expect(await engine.route(identifier: "grace", password: "grace-Passw0rd!").label == "new:just_migrated")
            #expect(
                await engine.route(identifier: "barred", password: "barred-Passw0rd!").label == "legacy:disabled_user")
            let row = try #require(try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM accounts") })
            #expect(row["user_name"] == "grace" && row["tier"] == "silver")
            #expect(HashCatalog().verify(password: "grace-Passw0rd!", hash: row["hash"]).isMatch)
            // SMS MFA, and a target with no phone statements: migrated and
            // flagged to enroll again (unsupported_mfa's default).
            #expect(await engine.route(identifier: "sally", password: "sally-Passw0rd!").label == "new:just_migrated")
        }
    }

    /// An authenticator app that stays in the pool: `unsupported_mfa` decides,
    /// with no rule needed.
    @Test(arguments: [("require_reenroll", "new:just_migrated"), ("keep_on_legacy", "legacy:mfa_kept_on_legacy")])
    func aSoftwareTokenFollowsThePolicy(policy: String, label: String) async throws {
        try await withTemporarySQLite(Self.accounts) { target, database in
            let (engine, pool) = try Self.engine(target: target, migration: #"unsupported_mfa = "\#(policy)""#)
            defer { pool.shutdown() }
            #expect(await engine.route(identifier: "mae", password: "wrong").label == "legacy:wrong_password")
            #expect(await engine.route(identifier: "mae", password: "mae-Passw0rd!").label == label)
            let mae = try database.read { db in
                try Row.fetchOne(db, sql: "SELECT reenroll FROM accounts WHERE user_name = 'mae'")
            }
            if policy == "require_reenroll" {
                #expect(mae?["reenroll"] == 1, "flagged to enroll again on the new platform")
            } else {
                #expect(mae == nil)
                let record = try await engine.services.store?.record(for: "mae")
                #expect(record?.state == .skipped)
                #expect(record?.lastFailure == "MFA factors that cannot be carried: SOFTWARE_TOKEN_MFA")
            }
        }
    }

    /// Cognito down: every login goes to legacy as "unavailable", never as a
    /// wrong password, and nothing is recorded or provisioned.
    @Test func aPoolNobodyAnswersKeepsLoginsOnLegacy() async throws {
        try await withTemporarySQLite(Self.accounts) {
            target, database in
            let (engine, pool) = try Self.engine(
                target: target, endpoint: "http://127.0.0.1:\(freeLoopbackPort())")
            defer { pool.shutdown() }
            for password in ["grace-Passw0rd!", "wrong"] {
                #expect(
                    await engine.route(identifier: "grace", password: password).label == "legacy:source_unavailable")
            }
            #expect(try await engine.services.store?.record(for: "grace")?.state != .migrated)
            let provisioned = try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accounts")
            }
            #expect(provisioned == 0)
        }
    }

    /// Factors and consents from the application's database beside the pool,
    /// keyed by the user's `sub`: Cognito itself never exports TOTP secrets.
    @Test func factorsAndConsentsFromTheStoreBesideThePool() async throws {
        let ada = try #require(try await Self.source().account(for: "ada"))
        let side = """
            CREATE TABLE otp (sub TEXT, secret TEXT, label TEXT);
            INSERT INTO otp VALUES ('\(ada.legacyID)', 'JBSWY3DPEHPK3PXP', 'Authenticator');
            CREATE TABLE consents (sub TEXT, purpose TEXT);
            INSERT INTO consents VALUES ('\(ada.legacyID)', 'newsletter');
            """
        try await withTemporarySQLite(side) { sidePath, _ in
            let tables = TestCognito.legacyTables().replacingOccurrences(
                of: "kind = \"cognito\"",
                with: """
                    kind = "cognito"
                    database = "sqlite://\(sidePath)"
                    mfa_query = "SELECT secret, label FROM otp WHERE sub = :legacy_id"
                    consents_query = "SELECT purpose FROM consents WHERE sub = :legacy_id"
                    """)
            let config = try ProxyConfig.parse(
                "[server]\nlisten = \"127.0.0.1:0\"\n" + tables, file: "t.conf", baseDirectory: "/tmp")
            let source = try LegacySources.open(try #require(config.legacy))
            let account = try #require(try await source.account(for: "ada"))
            #expect(account.mfa.totp.map(\.label) == ["Authenticator"])
            #expect(account.consents.map(\.purpose) == ["newsletter"])
            #expect(Set(account.roles) == ["gold-members", "staff"])
            let judge = try #require(source as? any LegacyPasswordJudge)
            #expect(await judge.judge(account, password: "ada-Passw0rd!") == .accepted)
        }
    }

    @Test func theConnectionCheckSaysWhetherThePoolAnswers() async throws {
        let answering = try Self.source()
        #expect(await answering.checkConnection() == nil)
        let silent = try Self.source(endpoint: "http://127.0.0.1:\(freeLoopbackPort())")
        #expect(await silent.checkConnection() != nil)
    }
}
