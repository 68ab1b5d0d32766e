import ArgumentParser
import AsyncHTTPClient
import FerryConfig
import FerryDemo
import FerryProxy
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PasswordHashes

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run sample legacy and new platforms with Ferry in front of them.",
        discussion: """
            Starts the sample legacy platform, the sample new platform and Ferry on loopback \
            ports with a generated config (the shape of proxy.conf.example), seeds legacy \
            users, prints URLs, demo credentials and what to try, and runs until Ctrl-C. \
            With --walkthrough it first drives a scripted tour and prints each step, saying \
            plainly which steps wait for capabilities not built yet.
            """)

    @Option(help: "First port: Ferry on it, legacy on +1, new on +2, Ferry's admin listener on +10.")
    var portBase = 8080

    @Option(help: "Legacy users to seed.")
    var users = 300

    @Option(help: "Folder for the databases, secrets and generated proxy.conf (default: a new temporary folder).")
    var dataDir: String?

    @Flag(help: "Drive a scripted tour before serving.")
    var walkthrough = false

    @Flag(help: "Exit after the walkthrough instead of serving until Ctrl-C.")
    var exitAfterWalkthrough = false

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        // The demo prints what matters itself; framework logs would only report
        // the servers' own shutdown when the tour ends.
        var logger = Logger(label: "ferry-demo")
        logger.logLevel = .critical
        var platformLogger = Logger(label: "legacy-platform")
        platformLogger.logLevel = .notice

        let directory = URL(
            fileURLWithPath: dataDir ?? NSTemporaryDirectory() + "ferry-demo-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ports = (ferry: portBase, legacy: portBase + 1, new: portBase + 2, admin: portBase + 10)
        let scimToken = Base32.encode(secureRandomBytes(20)).lowercased()
        let adminToken = Base32.encode(secureRandomBytes(20)).lowercased()
        try scimToken.write(to: directory.appendingPathComponent("scim.token"), atomically: true, encoding: .utf8)
        try adminToken.write(to: directory.appendingPathComponent("admin.token"), atomically: true, encoding: .utf8)
        try secureRandomBytes(32).map { String(format: "%02x", $0) }.joined()
            .write(to: directory.appendingPathComponent("state.key"), atomically: true, encoding: .utf8)
        let legacyPath = directory.appendingPathComponent("legacy.db").path
        let configPath = directory.appendingPathComponent("proxy.conf").path
        for name in ["legacy.db", "new.db", "ferry-state.db"] {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }

        let legacy = try LegacyPlatform(path: legacyPath, logger: platformLogger)
        let new = try NewPlatform(path: directory.appendingPathComponent("new.db").path, scimToken: scimToken)
        print("Seeding \(users) legacy users…")
        let credentials = try DemoSeed.seed(legacy, count: users)
        try Self.config(ports: ports, rollout: 0).write(toFile: configPath, atomically: true, encoding: .utf8)
        let server = try FerryServer(configPath: configPath, logger: logger, accessLog: false)

        try await withThrowingTaskGroup(of: Void.self) { group in
            let appLogger = logger
            for (router, port) in [(legacy.router(), ports.legacy), (new.router(), ports.new)] {
                let app = Application(
                    router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: appLogger
                )
                group.addTask { try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint]) }
            }
            group.addTask { try await server.run() }
            while server.proxyPort == nil || server.adminPort == nil { try await Task.sleep(for: .milliseconds(20)) }

            Self.printIntroduction(ports: ports, directory: directory, credentials: credentials)
            if walkthrough {
                try await Walkthrough(
                    ferry: "http://127.0.0.1:\(ports.ferry)", admin: "http://127.0.0.1:\(ports.admin)",
                    adminToken: adminToken,
                    configPath: configPath, ports: ports, legacyPath: legacyPath, credentials: credentials
                ).run()
                if exitAfterWalkthrough {
                    await server.shutdown()
                    group.cancelAll()
                    return
                }
            }
            print("\nRunning until Ctrl-C.")
            try await group.next()
            group.cancelAll()
        }
    }

    /// The demo's proxy.conf: the shape of proxy.conf.example, pointing at the sample platforms.
    static func config(ports: (ferry: Int, legacy: Int, new: Int, admin: Int), rollout: Double) -> String {
        """
        # Generated by `ferry demo`. Same shape as proxy.conf.example.
        [server]
        listen = "127.0.0.1:\(ports.ferry)"

        [admin]
        listen = "127.0.0.1:\(ports.admin)"
        token_file = "admin.token"

        [state]
        url = "sqlite://ferry-state.db"
        encryption_key_file = "state.key"

        [upstreams.legacy]
        url = "http://127.0.0.1:\(ports.legacy)"
        session_cookies = ["legacy_session", "legacy_mfa"]

        [upstreams.new]
        url = "http://127.0.0.1:\(ports.new)"
        session_cookies = ["new_session", "new_mfa"]

        [legacy]
        database = "sqlite://legacy.db"
        user_query = \"\"\"
        SELECT id AS legacy_id, username, email, password_hash, salt, status, given_name, family_name, locale,
               created_at, last_login_at
        FROM users WHERE lower(email) = :identifier OR lower(username) = :identifier
        \"\"\"
        mfa_query = "SELECT 'totp' AS kind, secret, digits, period, algorithm FROM totp WHERE user_id = :legacy_id"
        consents_query = "SELECT purpose, client, version, granted, granted_at FROM consents WHERE user_id = :legacy_id"

        [legacy.hash]
        digest = "sha1"
        salt_position = "prefix"

        [target]
        kind = "scim"
        url = "http://127.0.0.1:\(ports.new)/scim/v2"
        token_file = "scim.token"

        [migration]
        # "migrate" needs the migration engine, which is not built yet.
        mode = "off"
        rollout_percent = \(rollout)

        [[route]]
        name = "login"
        methods = ["POST"]
        path = "/login"
        action = "login"

        [[route]]
        name = "everything-else"
        path_prefix = "/"
        action = "proxy"
        upstream = "legacy"
        """
    }

    static func printIntroduction(
        ports: (ferry: Int, legacy: Int, new: Int, admin: Int), directory: URL, credentials: [DemoSeed.Credential]
    ) {
        print(
            """

            Ferry demo
              Ferry (customers use this)  http://127.0.0.1:\(ports.ferry)
              legacy platform             http://127.0.0.1:\(ports.legacy)
              new platform                http://127.0.0.1:\(ports.new)   (SCIM: /scim/v2/Users)
              Ferry admin                 http://127.0.0.1:\(ports.admin)/metrics
              data, secrets, proxy.conf   \(directory.path)

            Demo credentials (one per legacy hash format):
            """)
        var shown = Set<String>()
        for credential in credentials where !shown.contains(credential.format) && credential.totpSecret == nil {
            shown.insert(credential.format)
            print(
                "  \(credential.username.padding(toLength: 24, withPad: " ", startingAt: 0)) \(credential.password.padding(toLength: 22, withPad: " ", startingAt: 0)) \(credential.format)"
            )
        }
        if let mfa = credentials.first(where: { $0.totpSecret != nil }) {
            print(
                "  \(mfa.username) / \(mfa.password) has TOTP (secret \(mfa.totpSecret!), recovery code \(mfa.recoveryCode ?? "-"))"
            )
        }
        print(
            """

            Try:
              curl -si -d 'username=\(credentials[0].username)&password=\(credentials[0].password)' http://127.0.0.1:\(ports.ferry)/login
              curl -s -H "Authorization: Bearer $(cat \(directory.path)/admin.token)" http://127.0.0.1:\(ports.admin)/admin/status
              edit \(directory.path)/proxy.conf, then: kill -HUP <ferry pid>  (or POST /admin/reload)
            """)
    }
}

/// The scripted tour of `ferry demo --walkthrough`.
struct Walkthrough {
    let ferry: String
    let admin: String
    let adminToken: String
    let configPath: String
    let ports: (ferry: Int, legacy: Int, new: Int, admin: Int)
    let legacyPath: String
    let credentials: [DemoSeed.Credential]

    struct Reply {
        var status: Int
        var body: String
        var cookies: [String: String]
    }

    func send(
        _ client: HTTPClient, _ method: HTTPMethod, _ url: String, form: String? = nil, cookies: [String: String] = [:],
        bearer: String? = nil
    )
        async throws -> Reply
    {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if !cookies.isEmpty {
            request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        var jar: [String: String] = [:]
        for header in response.headers["Set-Cookie"] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            jar[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
        }
        return Reply(
            status: Int(response.status.code), body: String(buffer: try await response.body.collect(upTo: 1 << 20)),
            cookies: jar)
    }

    func step(_ number: Int, _ title: String) { print("\n[\(number)] \(title)") }
    func notYet(_ what: String, issue: String = "the migration engine (issue #6)") {
        print("    not yet: \(what) — arrives with \(issue)")
    }

    func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { _ = client.shutdown() }
        let plain = credentials.first { $0.totpSecret == nil && $0.format == "bcrypt $2y$" } ?? credentials[0]
        let mfa = credentials.first { $0.totpSecret != nil }!

        step(1, "A login through Ferry: \(plain.username) (\(plain.format))")
        let hash = try LegacyPlatform(path: legacyPath).passwordHash(of: plain.username) ?? ""
        let scheme = (try? HashCatalog().parse(hash).scheme) ?? "unknown"
        let newHash = try Rehasher().hash(plain.password)
        print(
            "    legacy hash scheme: \(scheme); a migration would store \((try? HashCatalog().parse(newHash))?.scheme ?? "?") (m=19456, t=2, p=1)"
        )
        let login = try await send(
            client, .POST, ferry + "/login", form: "username=\(plain.username)&password=\(plain.password)")
        print(
            "    POST /login → \(login.status) from the legacy platform, legacy_session \(login.cookies["legacy_session"] != nil ? "set" : "missing")"
        )
        notYet("provisioning into the new platform and sending the user there")

        step(2, "TOTP: \(mfa.username) logs in through Ferry with a code")
        let first = try await send(
            client, .POST, ferry + "/login", form: "username=\(mfa.username)&password=\(mfa.password)")
        let code = TOTP(secret: Base32.decode(mfa.totpSecret!)!).code(at: Date())
        let second = try await send(
            client, .POST, ferry + "/login/mfa", form: "code=\(code)",
            cookies: ["legacy_mfa": first.cookies["legacy_mfa"] ?? ""])
        print("    password → \(first.status) (code asked), code → \(second.status) (logged in on legacy)")
        notYet("the same code working on the new platform after migration")

        step(3, "Consents")
        print("    the legacy platform holds this user's consent records (purpose, version, timestamp, client)")
        notYet("consents visible on the new platform")

        step(4, "A legacy session keeps working through Ferry")
        let account = try await send(
            client, .GET, ferry + "/account", cookies: ["legacy_session": login.cookies["legacy_session"] ?? ""])
        print(
            "    GET /account with legacy_session → \(account.status) \(account.body.contains(plain.username) ? "(the legacy account page)" : "")"
        )

        step(5, "A wrong password")
        let wrong = try await send(client, .POST, ferry + "/login", form: "username=\(plain.username)&password=wrong")
        print("    POST /login → \(wrong.status) from legacy, which answers as it always did; the user stays on legacy")

        step(6, "A rollout change applied by reload, no restart")
        try DemoCommand.config(ports: ports, rollout: 10).write(toFile: configPath, atomically: true, encoding: .utf8)
        let reload = try await send(client, .POST, admin + "/admin/reload", bearer: adminToken)
        print(
            "    POST /admin/reload → \(reload.status) \(reload.body.trimmingCharacters(in: .whitespacesAndNewlines))")
        notYet("the rollout percentage choosing who migrates", issue: "migration operations (issue #8)")
        print("\nWalkthrough done.")
    }
}
