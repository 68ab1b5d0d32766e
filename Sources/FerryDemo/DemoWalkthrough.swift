import Foundation
import PasswordHashes

/// The scripted tour of `ferry demo --walkthrough`, and the introduction the
/// demo prints.
public struct DemoWalkthrough {
    let ferry: String
    let admin: String
    let legacyDirect: String
    let adminToken: String
    let configPath: String
    let config: DemoConfig
    let legacyPath: String
    let credentials: [DemoSeed.Credential]

    public init(
        ferry: String, admin: String, legacyDirect: String, adminToken: String, configPath: String,
        config: DemoConfig, legacyPath: String, credentials: [DemoSeed.Credential]
    ) {
        self.ferry = ferry
        self.admin = admin
        self.legacyDirect = legacyDirect
        self.adminToken = adminToken
        self.configPath = configPath
        self.config = config
        self.legacyPath = legacyPath
        self.credentials = credentials
    }

    public static func printIntroduction(
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

    func step(_ number: Int, _ title: String) { print("\n[\(number)] \(title)") }

    /// Which platform issued the session in a reply.
    func platform(_ reply: DemoBrowser.Reply) -> String {
        if reply.cookies["new_session"] != nil || reply.cookies["new_mfa"] != nil { return "the new platform" }
        if reply.cookies["legacy_session"] != nil || reply.cookies["legacy_mfa"] != nil { return "the legacy platform" }
        return "no session"
    }

    public func run() async throws {
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
        let plain = credentials.filter { $0.totpSecret == nil && $0.format != DemoSeed.opaqueFormat }
        let first = plain.first { $0.format == "bcrypt $2y$" } ?? plain[0]
        let mfa = credentials.first { $0.totpSecret != nil }!
        let opaque = credentials.first { $0.format == DemoSeed.opaqueFormat }!

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

        step(2, "A hash Ferry cannot read ($vault$): legacy's own answer migrates \(opaque.username)")
        let opaqueHash = try LegacyPlatform(path: legacyPath).passwordHash(of: opaque.username) ?? ""
        print("    legacy hash scheme: \((try? HashCatalog().parse(opaqueHash).scheme) ?? "unknown to Ferry")")
        let forwarded = try await login(ferry, opaque)
        print(
            "    POST /login → \(forwarded.status), session from \(platform(forwarded)) (the login went to legacy as sent)"
        )
        let byAnswer = try await login(config.newURL, opaque)
        print("    legacy signed them in, so Ferry migrated them: the new platform alone → \(byAnswer.status)")
        let afterAnswer = try await login(ferry, opaque)
        print("    the next login through Ferry → \(afterAnswer.status), session from \(platform(afterAnswer))")

        step(3, "TOTP carried: \(mfa.username) logs in through Ferry with a code from the legacy secret")
        let password = try await login(ferry, mfa)
        let code = TOTP(secret: Base32.decode(mfa.totpSecret!)!).code(at: Date())
        let second = try await browser.send(
            .POST, ferry + "/login/mfa", form: [("code", code)], cookies: ["new_mfa": password.cookies["new_mfa"] ?? ""]
        )
        print(
            "    password → \(password.status) (code asked by \(platform(password))), code → \(second.status) (\(platform(second)))"
        )

        step(4, "Consents carried with their versions and times")
        let account = try await browser.send(
            .GET, ferry + "/account", cookies: ["new_session": second.cookies["new_session"] ?? ""])
        for line in account.body.components(separatedBy: "<li>").dropFirst() {
            print("    " + (line.components(separatedBy: "</li>").first ?? ""))
        }

        step(5, "A legacy session from before the migration keeps working through Ferry")
        let earlier = plain.first { $0.username != first.username }!
        let old = try await login(legacyDirect, earlier)
        let page = try await browser.send(
            .GET, ferry + "/account", cookies: ["legacy_session": old.cookies["legacy_session"] ?? ""])
        print(
            "    GET /account with legacy_session → \(page.status) \(page.body.contains(earlier.username) ? "(the legacy account page)" : "")"
        )

        step(6, "A wrong password")
        let wrong = try await login(ferry, earlier, password: "wrong")
        print("    POST /login → \(wrong.status) from legacy, which answers as it always did; the user stays on legacy")

        step(7, "Rollout lowered to 0% by editing proxy.conf and reloading, no restart")
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
public enum DemoOutput {
    public static func line(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

private func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    DemoOutput.line(items.map { "\($0)" }.joined(separator: separator) + terminator)
}
