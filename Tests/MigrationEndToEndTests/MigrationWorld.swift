import AsyncHTTPClient
import FerryDemo
import FerryProxy
import FerryTestSupport
import Foundation
import GRDB
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

@testable import FerryStore

/// The sample legacy and new platforms with Ferry in front, configured by
/// `DemoConfig` for one provisioning target, in a temporary folder.
final class MigrationWorld: Sendable {
    let directory: URL
    let legacy: LegacyPlatform
    let new: NewPlatform
    let legacyServer: TestServer
    let newServer: TestServer
    let credentials: [DemoSeed.Credential]
    let secrets: DemoConfig.Secrets
    let config: DemoConfig
    let browser: DemoBrowser
    var client: HTTPClient { browser.client }
    /// Every line Ferry logged, for the secrets check.
    let logs = LogCapture()
    /// The sample legacy platform's log: its reset "mails" land here.
    let legacyLogs = LogCapture()
    let accessLog: FileHandle
    let lockHolder = Mutex<(Process, Pipe)?>(nil)
    private let ferry = Mutex<(server: FerryServer, task: Task<Void, any Error>)?>(nil)

    var configPath: String { directory.appendingPathComponent("proxy.conf").path }
    var accessLogPath: String { directory.appendingPathComponent("access.log").path }
    var server: FerryServer { ferry.withLock { $0!.server } }
    var base: String { "http://127.0.0.1:\(server.proxyPort ?? 0)" }
    var admin: String { "http://127.0.0.1:\(server.adminPort ?? 0)" }

    init(
        target: DemoConfig.Target, users: Int = 12, ferryRunning: Bool = true,
        legacySessionLifetime: TimeInterval = 3600, newUserNames: NewPlatform.UserNames = .caseInsensitive,
        legacySignIn: SignInStyle = SignInStyle(), legacyOAuthClients: [OAuthClient] = [],
        configure: (inout DemoConfig) -> Void = { _ in }
    ) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        secrets = try DemoConfig.writeSecrets(to: directory)
        var platformLogger = Logger(label: "platforms") { _ in SwiftLogNoOpLogHandler() }
        platformLogger.logLevel = .critical
        let legacyLogs = legacyLogs
        var legacyLogger = Logger(label: "legacy", factory: legacyLogs.handler)
        legacyLogger.logLevel = .notice
        legacy = try LegacyPlatform(
            path: directory.appendingPathComponent("legacy.db").path, sessionLifetime: legacySessionLifetime,
            logger: legacyLogger, oauthClients: legacyOAuthClients, signIn: legacySignIn)
        new = try NewPlatform(
            path: directory.appendingPathComponent("new.db").path, scimToken: secrets.scimToken,
            webhookKey: secrets.webhookKey, userNames: newUserNames, logger: platformLogger)
        credentials = try DemoSeed.seed(legacy, count: users)
        let legacy = legacy
        let new = new
        legacyServer = TestServer { legacy.router() }
        newServer = TestServer { new.router() }
        try await legacyServer.start()
        try await newServer.start()
        var config = DemoConfig(
            ferryListen: "127.0.0.1:0", adminListen: "127.0.0.1:0", legacyURL: legacyServer.url,
            newURL: newServer.url, target: target)
        config.targetExtra = "timeout = \"3s\"\nretry_initial = \"200ms\"\nretry_ceiling = \"1s\""
        configure(&config)
        self.config = config
        try config.text.write(
            toFile: directory.appendingPathComponent("proxy.conf").path, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("access.log").path, contents: nil)
        accessLog = try FileHandle(forWritingTo: directory.appendingPathComponent("access.log"))
        // A refused connection (Ferry killed in the crash test) fails that request
        // only; with retries the pool would keep failing requests after the restart.
        browser = DemoBrowser(retryRefusedConnections: false)
        if ferryRunning {
            do {
                try await startFerry()
            } catch {
                // A config Ferry refuses fails the test, not the process (a
                // client dropped without shutdown traps).
                try? await stop()
                throw error
            }
        }
    }

    func startFerry() async throws {
        let logs = logs
        let logger = Logger(label: "ferry", factory: logs.handler)
        let server = try FerryServer(configPath: configPath, logger: logger, accessLog: true, accessLogTo: accessLog)
        let task = Task { try await server.run(handleSignals: false) }
        ferry.withLock { $0 = (server, task) }
        await server.waitUntilListening()
    }

    func stopFerry() async {
        guard let running = ferry.withLock({ $0 }) else { return }
        await running.server.shutdown()
        _ = await running.task.result
    }

    /// Runs `body` in this world and always tears the world down.
    func running(_ body: (MigrationWorld) async throws -> Void) async throws {
        do {
            try await body(self)
        } catch {
            try await stop()
            throw error
        }
        try await stop()
    }

    func stop() async throws {
        await stopFerry()
        try await browser.shutdown()
        await legacyServer.stop()
        await newServer.stop()
        try? accessLog.close()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Requests

    typealias Reply = DemoBrowser.Reply

    func send(
        _ method: HTTPMethod, _ url: String, form: [(String, String)]? = nil, cookies: [String: String] = [:],
        bearer: String? = nil
    ) async throws -> Reply {
        try await browser.send(method, url, form: form, cookies: cookies, bearer: bearer)
    }

    /// A login through Ferry.
    func login(_ username: String, _ password: String) async throws -> Reply {
        try await send(.POST, base + "/login", form: [("username", username), ("password", password)])
    }

    /// A login straight at the new platform, bypassing Ferry.
    func loginToNewDirectly(_ username: String, _ password: String) async throws -> Reply {
        try await send(.POST, newServer.url + "/login", form: [("username", username), ("password", password)])
    }

    // MARK: State

    func store() throws -> SQLiteStateStore {
        try SQLiteStateStore(path: directory.appendingPathComponent("ferry-state.db").path)
    }

    func record(_ username: String) async throws -> MigrationRecord? {
        // The demo's legacy tells "Ada" from "ada", so Ferry keys them apart too.
        try await store().record(for: username)
    }

    /// An account on the new platform, as tests look at it: no hash, no secret,
    /// so a failing expectation prints nothing that must stay private.
    struct NewAccount: Equatable, CustomStringConvertible {
        var id: String
        var externalID: String?
        /// The stored hash's PHC prefix, e.g. `$argon2id$v=19$`.
        var hashPrefix: String
        var reenrollRequired: Bool

        var description: String {
            "account \(id) (external id \(externalID ?? "none"), \(hashPrefix)…, reenroll \(reenrollRequired))"
        }
    }

    /// Accounts on the new platform with this user name.
    func newAccounts(_ username: String) throws -> [NewAccount] {
        try new.database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM accounts WHERE user_name = ?", arguments: [username]).map { row in
                let hash = (row["password_phc"] as String?) ?? ""
                // Only the algorithm and version of a PHC string; anything else is not shown.
                let prefix =
                    hash.hasPrefix("$")
                    ? hash.split(separator: "$", omittingEmptySubsequences: false).prefix(3).joined(separator: "$")
                        + "$"
                    : "(not PHC)"
                return NewAccount(
                    id: row["id"], externalID: row["external_id"], hashPrefix: prefix,
                    reenrollRequired: row["mfa_reenroll_required"])
            }
        }
    }

    /// Waits until `condition` holds (the outbox retrier works in the background).
    /// A login route for the OAuth password grant at legacy's `/oauth/token`
    /// (for `config.migrationExtra`; more keys of the route may follow).
    static let tokenLoginRoute = """

        [[route]]
        name = "token"
        methods = ["POST"]
        path = "/oauth/token"
        action = "login"

        """

    func eventually(_ seconds: Double = 20, _ condition: () async throws -> Bool) async throws -> Bool {
        try await FerryTestSupport.eventually(within: seconds) { try await condition() }
    }

    func metrics() async throws -> String {
        try await send(.GET, admin + "/metrics").body
    }
}

extension MigrationWorld {
    /// Makes the provisioning target fail: the new platform's HTTP server stops
    /// (SCIM, webhook), or its database is locked by another writer (SQL).
    func takeTargetDown() async throws {
        switch config.target {
        case .scim, .webhook: await newServer.stop()
        case .sql:
            // Another process holding an exclusive lock, as a long migration or
            // backup on the new platform's side would.
            let holder = Process()
            holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            holder.arguments = [
                "python3", "-c",
                "import sqlite3,sys; c=sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); sys.stdin.read()",
                directory.appendingPathComponent("new.db").path,
            ]
            let input = Pipe()
            let output = Pipe()
            holder.standardInput = input
            holder.standardOutput = output
            holder.standardError = FileHandle.nullDevice
            try holder.run()
            _ = try await offThePool { output.fileHandleForReading.availableData }
            lockHolder.withLock { $0 = (holder, input) }
        }
    }

    func bringTargetBack() async throws {
        switch config.target {
        case .scim, .webhook: try await newServer.start()
        case .sql:
            guard let (holder, input) = lockHolder.withLock({ $0 }) else { return }
            try input.fileHandleForWriting.close()
            await holder.ended()
        }
    }
}
