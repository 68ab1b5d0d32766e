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
        for name in ["legacy.db", "new.db", "ferry-state.db"] {
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(at: directory.appendingPathComponent(name + suffix))
            }
        }
        let secrets = try DemoConfig.writeSecrets(to: directory)
        let legacyPath = directory.appendingPathComponent("legacy.db").path
        let configPath = directory.appendingPathComponent("proxy.conf").path
        let legacy = try LegacyPlatform(path: legacyPath, logger: platformLogger)
        let new = try NewPlatform(
            path: directory.appendingPathComponent("new.db").path, scimToken: secrets.scimToken,
            webhookKey: secrets.webhookKey)
        print("Seeding \(users) legacy users…")
        let credentials = try DemoSeed.seed(legacy, count: users)
        let config = Self.config(ports: ports)
        try config.text.write(toFile: configPath, atomically: true, encoding: .utf8)
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
                    legacyDirect: "http://127.0.0.1:\(ports.legacy)", adminToken: secrets.adminToken,
                    configPath: configPath, config: config, legacyPath: legacyPath, credentials: credentials
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

    /// The demo's proxy.conf: the shape of proxy.conf.example, pointing at the
    /// sample platforms, migrating everyone on login through SCIM.
    static func config(ports: (ferry: Int, legacy: Int, new: Int, admin: Int)) -> DemoConfig {
        DemoConfig(
            ferryListen: "127.0.0.1:\(ports.ferry)", adminListen: "127.0.0.1:\(ports.admin)",
            legacyURL: "http://127.0.0.1:\(ports.legacy)", newURL: "http://127.0.0.1:\(ports.new)", target: .scim)
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
              status page                 http://127.0.0.1:\(ports.admin)/status
              Ferry's process id          \(ProcessInfo.processInfo.processIdentifier)
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
              edit \(directory.path)/proxy.conf, then: kill -HUP \(ProcessInfo.processInfo.processIdentifier)  (or POST /admin/reload)
            """)
    }
}

/// The scripted tour of `ferry demo --walkthrough`.
struct Walkthrough {
    let ferry: String
    let admin: String
    let legacyDirect: String
    let adminToken: String
    let configPath: String
    let config: DemoConfig
    let legacyPath: String
    let credentials: [DemoSeed.Credential]

    func step(_ number: Int, _ title: String) { print("\n[\(number)] \(title)") }

    /// Which platform issued the session in a reply.
    func platform(_ reply: DemoBrowser.Reply) -> String {
        if reply.cookies["new_session"] != nil || reply.cookies["new_mfa"] != nil { return "the new platform" }
        if reply.cookies["legacy_session"] != nil || reply.cookies["legacy_mfa"] != nil { return "the legacy platform" }
        return "no session"
    }

    func run() async throws {
        let browser = DemoBrowser()
        do {
            try await tour(browser)
        } catch {
            try? await browser.shutdown()
            throw error
        }
        try await browser.shutdown()
    }

    func tour(_ browser: DemoBrowser) async throws {
        func login(_ base: String, _ user: DemoSeed.Credential, password: String? = nil) async throws
            -> DemoBrowser.Reply
        {
            try await browser.send(
                .POST, base + "/login", form: [("username", user.username), ("password", password ?? user.password)])
        }
        let plain = credentials.filter { $0.totpSecret == nil }
        let first = plain.first { $0.format == "bcrypt $2y$" } ?? plain[0]
        let mfa = credentials.first { $0.totpSecret != nil }!

        step(1, "A first login through Ferry migrates \(first.username) (\(first.format))")
        let hash = try LegacyPlatform(path: legacyPath).passwordHash(of: first.username) ?? ""
        print("    legacy hash scheme: \((try? HashCatalog().parse(hash).scheme) ?? "unknown")")
        let migrating = try await login(ferry, first)
        print("    POST /login → \(migrating.status), session from \(platform(migrating))")
        let direct = try await login(config.newURL, first)
        print(
            "    the new platform on its own accepts the same password → \(direct.status) (argon2id, rehashed by Ferry)"
        )
        let again = try await login(ferry, first)
        print("    the next login through Ferry → \(again.status), session from \(platform(again))")

        step(2, "TOTP carried: \(mfa.username) logs in through Ferry with a code from the legacy secret")
        let password = try await login(ferry, mfa)
        let code = TOTP(secret: Base32.decode(mfa.totpSecret!)!).code(at: Date())
        let second = try await browser.send(
            .POST, ferry + "/login/mfa", form: [("code", code)], cookies: ["new_mfa": password.cookies["new_mfa"] ?? ""]
        )
        print(
            "    password → \(password.status) (code asked by \(platform(password))), code → \(second.status) (\(platform(second)))"
        )

        step(3, "Consents carried with their versions and times")
        let account = try await browser.send(
            .GET, ferry + "/account", cookies: ["new_session": second.cookies["new_session"] ?? ""])
        for line in account.body.components(separatedBy: "<li>").dropFirst() {
            print("    " + (line.components(separatedBy: "</li>").first ?? ""))
        }

        step(4, "A legacy session from before the migration keeps working through Ferry")
        let earlier = plain.first { $0.username != first.username }!
        let old = try await login(legacyDirect, earlier)
        let page = try await browser.send(
            .GET, ferry + "/account", cookies: ["legacy_session": old.cookies["legacy_session"] ?? ""])
        print(
            "    GET /account with legacy_session → \(page.status) \(page.body.contains(earlier.username) ? "(the legacy account page)" : "")"
        )

        step(5, "A wrong password")
        let wrong = try await login(ferry, earlier, password: "wrong")
        print("    POST /login → \(wrong.status) from legacy, which answers as it always did; the user stays on legacy")

        step(6, "Rollout lowered to 0% by editing proxy.conf and reloading, no restart")
        var lowered = config
        lowered.rolloutPercent = 0
        try lowered.text.write(toFile: configPath, atomically: true, encoding: .utf8)
        let reload = try await browser.send(.POST, admin + "/admin/reload", bearer: adminToken)
        print(
            "    POST /admin/reload → \(reload.status) \(reload.body.trimmingCharacters(in: .whitespacesAndNewlines))")
        let newcomer = plain.last { $0.username != earlier.username && $0.username != first.username }!
        let outside = try await login(ferry, newcomer)
        let migrated = try await login(ferry, first)
        print("    \(newcomer.username) (not migrated) → session from \(platform(outside))")
        print("    \(first.username) (migrated) → session from \(platform(migrated)); lowering never un-migrates")
        // Put the config back as the demo announced it: everyone migrates on login.
        try config.text.write(toFile: configPath, atomically: true, encoding: .utf8)
        let restored = try await browser.send(.POST, admin + "/admin/reload", bearer: adminToken)
        print(
            "    rollout back to \(Int(config.rolloutPercent))% (POST /admin/reload → \(restored.status)) for the rest of the demo"
        )

        let metrics = try await browser.send(.GET, admin + "/metrics")
        print("\nLogins by destination and reason (ferry_logins_total):")
        for line in metrics.body.split(separator: "\n") where line.hasPrefix("ferry_logins_total{") {
            print("    " + line.dropFirst("ferry_logins_total".count))
        }
        print("\nWalkthrough done.")
    }
}

/// The demo's lines go out as they are printed, also when standard output is a
/// pipe or a file (Swift's `print` would hold them in 4 KiB blocks until exit).
private func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let line = items.map { "\($0)" }.joined(separator: separator) + terminator
    FileHandle.standardOutput.write(Data(line.utf8))
}
