import FerryConfig
import FerryDemo
import FerryMigration
import Foundation
import GRDB
import PasswordHashes
import Synchronization
import Testing

@testable import FerryStore

/// Steering a live migration: rate, brute-force guard, rollout by reload,
/// status and stragglers — end to end through `ferry serve` and the sample
/// platforms.
@Suite(.serialized) struct OperationsTests {
    static func plainUsers(_ world: MigrationWorld) -> [DemoSeed.Credential] {
        world.credentials.filter { $0.totpSecret == nil }
    }

    static func loggedInOnLegacy(_ reply: MigrationWorld.Reply) -> Bool {
        reply.status == 303 && reply.cookies["legacy_session"] != nil
    }

    static func loggedInOnNew(_ reply: MigrationWorld.Reply) -> Bool {
        reply.status == 303 && reply.cookies["new_session"] != nil
    }

    /// Rewrites proxy.conf (the world's config plus `extra` TOML) and reloads.
    static func reload(_ world: MigrationWorld, _ change: (inout DemoConfig) -> Void = { _ in }, extra: String = "")
        async throws
    {
        var config = world.config
        change(&config)
        try (config.text + extra).write(toFile: world.configPath, atomically: true, encoding: .utf8)
        let record = await world.server.reload()
        #expect(record.outcome == .applied, "reload: \(record.errors)")
    }

    @Test(.timeLimit(.minutes(2))) func overTheRateLoginsGoToLegacyAndSucceed() async throws {
        try await MigrationScenarioTests.inWorld(
            .sql, configure: { $0.migrationExtra = "rate_per_second = 0\nburst = 2" }
        ) { world in
            let users = Array(Self.plainUsers(world).prefix(4))
            var replies: [MigrationWorld.Reply] = []
            for user in users { replies.append(try await world.login(user.username, user.password)) }
            #expect(replies.prefix(2).allSatisfy(Self.loggedInOnNew), "the burst migrates: \(replies)")
            #expect(replies.suffix(2).allSatisfy(Self.loggedInOnLegacy), "over the rate, legacy logs them in")
            for user in users.suffix(2) {
                #expect(try world.newAccounts(user.username).isEmpty)
                #expect(try await world.record(user.username)?.state != .migrated)
            }
            let metrics = try await world.metrics()
            #expect(metrics.contains(#"ferry_logins_total{destination="legacy",reason="rate_limited"} 2"#))

            // Raising the rate by reload lets the next login migrate.
            try await Self.reload(world) { $0.migrationExtra = "rate_per_second = 100\nburst = 2" }
            #expect(Self.loggedInOnNew(try await world.login(users[3].username, users[3].password)))
            let audit = try await world.store().pool.read { db in
                try String.fetchAll(db, sql: "SELECT details FROM audit_log WHERE kind = 'config_changed'")
            }
            #expect(audit.count == 1)
            #expect(audit.first?.contains(#""migration.rate_per_second.new":"100""#) == true, "\(audit)")
            #expect(audit.first?.contains(#""migration.rate_per_second.old":"0""#) == true)
        }
    }

    @Test(.timeLimit(.minutes(2))) func bruteForceGuardRefusesTheNextFailureAndSparesOthers() async throws {
        try await MigrationScenarioTests.inWorld(.scim) { world in
            try await Self.reload(
                world,
                extra: "\n[login_guard]\nidentifier_failures = 3\nidentifier_window = \"10m\"\nclient_failures = 50\n")
            let users = Self.plainUsers(world)
            let victim = users[0]
            for attempt in 1...3 {
                let reply = try await world.login(victim.username, "wrong-\(attempt)")
                #expect(reply.status == 401, "failure \(attempt) is legacy's own answer")
            }
            let refused = try await world.login(victim.username, victim.password)
            #expect(refused.status == 429, "the next try is refused, even with the right password")
            let seconds = try #require(refused.retryAfter.flatMap(Int.init))
            #expect(seconds > 500 && seconds <= 600)
            #expect(try world.newAccounts(victim.username).isEmpty)

            // Other users from the same address log in and migrate as usual.
            #expect(Self.loggedInOnNew(try await world.login(users[1].username, users[1].password)))

            // Unknown identifiers: legacy's 401 counts, so probing is stopped too.
            for _ in 1...3 { #expect(try await world.login("nobody@example.com", "guess").status == 401) }
            #expect(try await world.login("NOBODY@example.com ", "guess").status == 429)

            // over_limit = "legacy": the refused user is sent on, unverified.
            try await Self.reload(
                world,
                extra:
                    "\n[login_guard]\nidentifier_failures = 3\nidentifier_window = \"10m\"\nover_limit = \"legacy\"\n")
            #expect(Self.loggedInOnLegacy(try await world.login(victim.username, victim.password)))
            #expect(try world.newAccounts(victim.username).isEmpty, "a throttled login never migrates")
            let metrics = try await world.metrics()
            #expect(metrics.contains(#"ferry_logins_total{destination="throttle",reason="too_many_failures"} 2"#))
            #expect(metrics.contains(#"ferry_logins_total{destination="legacy",reason="throttled"} 1"#))
        }
    }

    /// Shapes of a login that once reached legacy's login unjudged: a path
    /// variant, a session cookie (forged, or the anonymous one many frameworks
    /// set before login), a NUL in the identifier, a repeated field.
    @Test(.timeLimit(.minutes(2))) func noShapeOfALoginWalksAroundTheGuard() async throws {
        try await MigrationScenarioTests.inWorld(.scim) { world in
            try await Self.reload(
                world,
                extra: "\n[login_guard]\nidentifier_failures = 2\nidentifier_window = \"10m\"\nclient_failures = 50\n")
            let users = Self.plainUsers(world)
            let victim = users[0]
            let forged = ["legacy_session": "forged-\(UUID().uuidString)"]
            #expect(
                try await world.send(
                    .POST, world.base + "/login", form: [("username", victim.username), ("password", "wrong-1")],
                    cookies: forged
                ).status == 401)
            #expect(
                try await world.send(
                    .POST, world.base + "/login/", form: [("username", victim.username), ("password", "wrong-2")]
                ).status == 401)
            // Two failures counted whatever the cookie or path: the next is refused everywhere.
            for path in ["/login", "/login/", "//login", "/./login", "/x/../login", "/%6Cogin", "/login;jsessionid=1"] {
                let reply = try await world.send(
                    .POST, world.base + path, form: [("username", victim.username), ("password", victim.password)],
                    cookies: forged)
                #expect(reply.status == 429, "\(path): \(reply.status)")
            }
            for variant in [victim.username + "\u{0}x", victim.username + "\r\nx"] {
                let reply = try await world.login(variant, victim.password)
                #expect(reply.status == 400, "a control character in the identifier is refused")
            }
            let repeated = try await world.send(
                .POST, world.base + "/login",
                form: [("username", users[2].username), ("username", victim.username), ("password", "x")])
            #expect(repeated.status == 400, "a repeated credential field is refused")
            #expect(try world.newAccounts(victim.username).isEmpty)

            // A login that carries a session is still a login: it migrates.
            let other = users[1]
            let withCookie = try await world.send(
                .POST, world.base + "/login", form: [("username", other.username), ("password", other.password)],
                cookies: ["legacy_session": "anonymous-pre-login-session"])
            #expect(Self.loggedInOnNew(withCookie), "\(withCookie.status)")
            #expect(try world.newAccounts(other.username).count == 1)
        }
    }

    /// Migrations leave audit events; shutdown anchors the head in a signed
    /// checkpoint; deleting the newest events then fails `audit verify`.
    @Test(.timeLimit(.minutes(2))) func auditVerifyCatchesTheNewestEventsDeleted() async throws {
        try await MigrationScenarioTests.inWorld(.scim) { world in
            for user in Self.plainUsers(world).prefix(3) {
                #expect(Self.loggedInOnNew(try await world.login(user.username, user.password)))
            }
            await world.stopFerry()
            let intact = try await Self.ferry(["audit", "verify", "--config", world.configPath], in: world)
            #expect(intact.status == 0, "\(intact.stderr)")
            #expect(intact.stdout.contains("holds the checkpoint of event"), "\(intact.stdout)")

            let export = try await Self.ferry(["audit", "export", "--config", world.configPath], in: world)
            let lines = export.stdout.split(separator: "\n")
            #expect(lines.count >= 3)
            #expect(lines.allSatisfy { $0.contains(#""hash":"#) && $0.contains(#""previous_hash":"#) })
            let listed = try await Self.ferry(
                ["audit", "list", "--config", world.configPath, "--kind", "migrated", "--json"], in: world)
            #expect(listed.stdout.split(separator: "\n").count == 3, "\(listed.stdout)")

            try await world.store().pool.write { db in
                try db.execute(sql: "DROP TRIGGER audit_log_append_only_delete")
                try db.execute(sql: "DELETE FROM audit_log WHERE sequence = (SELECT MAX(sequence) FROM audit_log)")
            }
            let cut = try await Self.ferry(["audit", "verify", "--config", world.configPath], in: world)
            #expect(cut.status == 1)
            #expect(cut.stderr.contains("cut short"), "\(cut.stderr)")
            #expect(!export.stdout.contains(Self.plainUsers(world)[0].password))
        }
    }

    @Test(.timeLimit(.minutes(3))) func rolloutFromZeroToHundredUnderLiveTraffic() async throws {
        try await MigrationScenarioTests.inWorld(.scim, configure: { $0.rolloutPercent = 0 }) { world in
            let users = Array(Self.plainUsers(world).prefix(6))
            let log = TrafficLog()
            let traffic = Task {
                await withTaskGroup(of: Void.self) { group in
                    for user in users {
                        group.addTask {
                            while !log.stop.withLock({ $0 }) {
                                do {
                                    let reply = try await world.login(user.username, user.password)
                                    log.logins.withLock { $0 += 1 }
                                    if Self.loggedInOnNew(reply) {
                                        _ = log.sawNew.withLock { $0.insert(user.username) }
                                    } else if !Self.loggedInOnLegacy(reply) {
                                        log.failures.withLock { $0.append("\(user.username): \(reply)") }
                                    }
                                } catch {
                                    log.failures.withLock { $0.append("\(user.username): \(error)") }
                                }
                            }
                        }
                    }
                }
            }
            // Every user has logged in a few times at 0 %, not a fixed wait.
            #expect(try await world.eventually(30) { log.logins.withLock { $0 } >= users.count * 3 })
            #expect(log.sawNew.withLock { $0.isEmpty }, "nobody migrates at 0 %")
            try await Self.reload(world) { $0.rolloutPercent = 100 }
            let allMigrated = try await world.eventually(30) { log.sawNew.withLock { $0.count } == users.count }
            log.stop.withLock { $0 = true }
            await traffic.value
            #expect(allMigrated, "every user migrates on a login after the reload")
            let failures = log.failures.withLock { $0 }
            #expect(failures.isEmpty, "no failed request: \(failures.prefix(5))")
            for user in users { #expect(try world.newAccounts(user.username).count == 1) }
            let changes = try await world.store().pool.read { db in
                try String.fetchAll(db, sql: "SELECT details FROM audit_log WHERE kind = 'config_changed'")
            }
            #expect(changes.count == 1)
            #expect(changes.first?.contains(#""migration.rollout_percent.new":"100""#) == true, "\(changes)")
        }
    }

    /// `ferry status --json`, /admin/status and the status page agree with the
    /// state store after real logins.
    @Test(.timeLimit(.minutes(2))) func statusAgreesWithTheStore() async throws {
        try await MigrationScenarioTests.inWorld(.sql) { world in
            let users = Self.plainUsers(world)
            for user in users.prefix(3) {
                #expect(Self.loggedInOnNew(try await world.login(user.username, user.password)))
            }
            // The same user by email: a second record, still one migrated user.
            let email = try #require(
                try await world.legacy.database.read { db in
                    try String.fetchOne(
                        db, sql: "SELECT email FROM users WHERE username = ?", arguments: [users[0].username])
                })
            #expect(Self.loggedInOnNew(try await world.login(email, users[0].password)))
            #expect(try await world.login(users[4].username, "wrong").status == 401)
            // The login tally is written in the background, by the second.
            let store = try world.store()
            #expect(
                try await world.eventually(10) {
                    try store.pool.read { db in
                        try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(count), 0) FROM login_tally") ?? 0
                    } >= 5
                })

            let run = try await Self.ferry(["status", "--config", world.configPath, "--json"], in: world)
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let report = try StatusReport.decode(Data(run.stdout.utf8))
            let total = world.credentials.count
            let migratedIDs = try await store.pool.read { db in
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(DISTINCT legacy_id) FROM migration_records WHERE state = 'migrated'") ?? -1
            }
            let legacyActive = try await world.legacy.database.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users WHERE status = 'active'") ?? -1
            }
            #expect(report.migrated == migratedIDs && migratedIDs == 3)
            #expect(report.legacyUsers == legacyActive && legacyActive == total)
            #expect(report.remaining == legacyActive - 3)
            #expect(report.migratedLastHour == 3 && report.migratedLastDay == 3)
            #expect(report.recordsByState["migrated"] == 4, "four identifiers, three users")
            #expect(report.wrongPasswords == 1)
            #expect(report.fallbacksByReason["wrong_password"] == 1)
            #expect(
                report.newByReason["just_migrated"] == 4, "four first logins (three users) reached the new platform")
            #expect(report.outboxBacklog == (try await store.pendingJobCount()))
            #expect(report.mode == "migrate" && report.rolloutPercent == 100)
            #expect(report.etaSeconds != nil)

            let table = try await Self.ferry(["status", "--config", world.configPath], in: world)
            #expect(table.stdout.contains("remaining") && table.stdout.contains("\(legacyActive - 3)"))

            let admin = try await world.send(
                .GET, world.admin + "/admin/status", bearer: world.secrets.adminToken)
            let object = try JSONSerialization.jsonObject(with: Data(admin.body.utf8)) as? [String: Any]
            let migration = try #require(object?["migration"] as? [String: Any])
            #expect(migration["migrated"] as? Int == 3)
            #expect(migration["remaining"] as? Int == legacyActive - 3)

            let page = try await world.send(.GET, world.admin + "/status")
            #expect(page.status == 200)
            #expect(page.body.contains("<svg"))
            #expect(page.body.contains("<th>migrated</th><td>3 ("))
            #expect(page.body.contains("<th>remaining</th><td>\(legacyActive - 3)</td>"))
            #expect(page.body.contains("<th>ETA assumes</th><td>the last hour"))
            #expect(
                page.body.contains(#"<th class="sub">wrong password</th><td>1 / 1</td>"#), "reasons in words, own rows")
            #expect(page.body.contains("hour (UTC)") && page.body.contains("users still on legacy, of \(total)"))
            #expect(page.body.contains(#"role="progressbar""#))
            #expect(table.stdout.contains("  wrong password"))
        }
    }

    @Test(.timeLimit(.minutes(2))) func stragglersExportExactlyTheUnmigratedUsers() async throws {
        try await MigrationScenarioTests.inWorld(.scim) { world in
            let users = Self.plainUsers(world)
            for user in users.prefix(2) {
                #expect(Self.loggedInOnNew(try await world.login(user.username, user.password)))
            }
            let (migrated, all) = try world.legacy.database.read { db in
                (
                    Set(
                        try String.fetchAll(
                            db, sql: "SELECT CAST(id AS TEXT) FROM users WHERE username IN (?, ?)",
                            arguments: [users[0].username, users[1].username])),
                    try Row.fetchAll(db, sql: "SELECT CAST(id AS TEXT) AS id, username, password_hash, salt FROM users")
                )
            }
            let expected = Set(all.map { $0["id"] as String }).subtracting(migrated)
            let passwords = Dictionary(uniqueKeysWithValues: world.credentials.map { ($0.username, $0.password) })
            let rows = Dictionary(uniqueKeysWithValues: all.map { ($0["id"] as String, $0) })

            for format in StragglerFormat.allCases {
                let path = world.directory.appendingPathComponent("stragglers.\(format.rawValue)").path
                let run = try await Self.ferry(
                    ["stragglers", "--config", world.configPath, "--format", format.rawValue, "--output", path],
                    in: world)
                #expect(run.status == 0, "\(format): \(run.stderr)")
                #expect(run.stderr.contains("exported \(expected.count) users"))
                let attributes = try FileManager.default.attributesOfItem(atPath: path)
                #expect((attributes[.posixPermissions] as? Int) == 0o600)
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let records = try Self.parse(text, format)
                let ids = records.map(\.legacyID)
                #expect(Set(ids) == expected && ids.count == expected.count, "\(format) holds exactly the stragglers")
                for record in records {
                    let row = try #require(rows[record.legacyID])
                    let password = try #require(passwords[row["username"] as String])
                    try Self.check(record, format: format, password: password, row: row)
                }
            }
        }
    }

    // MARK: Helpers

    final class TrafficLog: Sendable {
        let failures = Mutex<[String]>([])
        let sawNew = Mutex<Set<String>>([])
        let stop = Mutex(false)
        let logins = Mutex(0)
    }

    struct Exported {
        var legacyID: String
        var object: [String: Any]
    }

    /// Parses each format with a real parser: CSV by hand (quotes), the rest
    /// with JSONSerialization.
    static func parse(_ text: String, _ format: StragglerFormat) throws -> [Exported] {
        switch format {
        case .csv:
            var lines = text.split(separator: "\n").map(String.init)
            let header = lines.removeFirst().split(separator: ",").map(String.init)
            return try lines.map { line in
                let fields = try csvFields(line)
                let object = Dictionary(uniqueKeysWithValues: zip(header, fields).map { ($0, $1 as Any) })
                return Exported(legacyID: fields[1], object: object)
            }
        case .jsonl, .okta:
            return try text.split(separator: "\n").map { line in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let id =
                    (object["legacy_id"] as? String) ?? ((object["profile"] as? [String: Any])?["legacyId"] as? String)
                return Exported(legacyID: try #require(id), object: object)
            }
        case .auth0, .kratos:
            let array = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
            return try array.map { object in
                let meta = (object["app_metadata"] ?? object["metadata_admin"]) as? [String: Any]
                return Exported(legacyID: try #require(meta?["legacy_id"] as? String), object: object)
            }
        }
    }

    static func csvFields(_ line: String) throws -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var iterator = Array(line).makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "\"" {
                    quoted = false
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                if !current.isEmpty { current.append("\"") }
                quoted = true
            } else if character == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }

    /// The exported hash still verifies the user's password, in each
    /// platform's own reading of its format.
    static func check(_ record: Exported, format: StragglerFormat, password: String, row: Row) throws {
        let hash: String = row["password_hash"]
        let salt: String? = row["salt"]
        switch format {
        case .csv, .jsonl:
            #expect(record.object["password_hash"] as? String == hash)
            #expect(HashCatalog(configured: sha1Prefix).verify(password: password, hash: hash, salt: salt).isMatch)
        case .okta:
            let credential =
                ((record.object["credentials"] as? [String: Any])?["password"] as? [String: Any])?["hash"]
                as? [String: Any]
            guard let credential else {
                #expect(hash.hasPrefix("$P$") || hash.hasPrefix("$6$"), "only phpass and sha512-crypt lack a hash")
                return
            }
            switch credential["algorithm"] as? String {
            case "BCRYPT":
                let rebuilt =
                    String(hash.prefix(4)) + String(format: "%02d", credential["workFactor"] as? Int ?? 0) + "$"
                    + (credential["salt"] as? String ?? "") + (credential["value"] as? String ?? "")
                #expect(rebuilt == hash)
            case "MD5", "SHA-1":
                let saltBytes =
                    (credential["salt"] as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init) ?? []
                let digest: DigestAlgorithm = credential["algorithm"] as? String == "MD5" ? .md5 : .sha1
                let expected = digest.digest(saltBytes + Array(password.utf8))
                #expect(Data(base64Encoded: credential["value"] as? String ?? "").map(Array.init) == expected)
            case "PBKDF2":
                let key = DigestAlgorithm.sha256.pbkdf2(
                    password: Array(password.utf8),
                    salt: Array(Data(base64Encoded: credential["salt"] as? String ?? "") ?? Data()),
                    iterations: credential["iterationCount"] as? Int ?? 0, keyLength: credential["keySize"] as? Int ?? 0
                )
                #expect(Data(base64Encoded: credential["value"] as? String ?? "").map(Array.init) == key)
            default:
                Issue.record("unexpected Okta algorithm \(credential["algorithm"] ?? "none")")
            }
        case .kratos:
            let hashed =
                (((record.object["credentials"] as? [String: Any])?["password"] as? [String: Any])?["config"]
                as? [String: Any])?["hashed_password"] as? String
            guard let hashed else {
                #expect(hash.hasPrefix("$P$"), "only phpass lacks a hash for Kratos")
                return
            }
            if hashed.hasPrefix("$2") || hashed.hasPrefix("$sha512-crypt$") {
                let native =
                    hashed.hasPrefix("$sha512-crypt$") ? "$6" + hashed.dropFirst("$sha512-crypt".count) : hashed
                #expect(HashCatalog().verify(password: password, hash: native).isMatch)
            } else {
                #expect(
                    hashed.hasPrefix("$md5$") || hashed.hasPrefix("$sha1$pf=") || hashed.hasPrefix("$pbkdf2-sha256$"))
            }
        case .auth0:
            let custom = record.object["custom_password_hash"] as? [String: Any]
            guard let custom else {
                #expect(hash.hasPrefix("$P$") || hash.hasPrefix("$6$"))
                return
            }
            let algorithm = custom["algorithm"] as? String
            #expect(["bcrypt", "md5", "sha1", "pbkdf2"].contains(algorithm ?? ""))
            if algorithm == "sha1" {
                let salt = (custom["salt"] as? [String: Any])?["value"] as? String
                let value = (custom["hash"] as? [String: Any])?["value"] as? String
                let expected = DigestAlgorithm.sha1.digest((Hex.decode(salt ?? "") ?? []) + Array(password.utf8))
                #expect(Hex.decode(value ?? "") == expected)
            }
        }
    }

    static let sha1Prefix = ConfiguredDigestFormat(
        digest: .sha1, salt: .prefix, saltEncoding: .utf8, hashEncoding: .hex, passwordEncoding: .utf8, pepper: nil,
        iterations: 1)

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the built `ferry` binary; its output goes to files, never the
    /// test runner's own streams.
    static func ferry(_ arguments: [String], in world: MigrationWorld) async throws -> Run {
        let process = Process()
        process.executableURL = CrashTests.ferryBinary
        process.arguments = arguments
        let out = world.directory.appendingPathComponent("ferry-\(UUID()).out")
        let err = world.directory.appendingPathComponent("ferry-\(UUID()).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        await process.ended()
        return Run(
            status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
            stderr: try String(contentsOf: err, encoding: .utf8))
    }
}

/// `check-config --connect` calls an HTTP target once, with Ferry's credentials,
/// and creates nothing there.
@Suite(.serialized) struct TargetProbeTests {
    @Test(arguments: [DemoConfig.Target.scim, .webhook])
    func probeProvesReachabilityAndCredentials(_ kind: DemoConfig.Target) async throws {
        try await MigrationScenarioTests.inWorld(kind) { world in
            let secretFile = world.directory.appendingPathComponent(kind == .scim ? "scim.token" : "webhook.key").path
            let accounts = {
                try world.new.database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM accounts") }
            }
            let before = try accounts()
            let good = try ProxyConfig.load(path: world.configPath)
            let fine = await ConnectionCheck.probeHTTP(good).first
            #expect(fine?.key == "target.url" && fine?.problem == nil, "\(String(describing: fine))")
            #expect(try accounts() == before)

            let original = try String(contentsOfFile: secretFile, encoding: .utf8)
            try "not-the-secret".write(toFile: secretFile, atomically: true, encoding: .utf8)
            let refused = await ConnectionCheck.probeHTTP(try ProxyConfig.load(path: world.configPath)).first
            #expect(refused?.problem?.contains("refused Ferry's credentials") == true, "\(String(describing: refused))")
            #expect(refused?.problem?.contains("not-the-secret") == false)
            try original.write(toFile: secretFile, atomically: true, encoding: .utf8)

            try await world.takeTargetDown()
            let down = await ConnectionCheck.probeHTTP(good).first
            #expect(down?.problem?.contains("connection refused") == true, "\(String(describing: down))")
            try await world.bringTargetBack()
        }
    }
}
