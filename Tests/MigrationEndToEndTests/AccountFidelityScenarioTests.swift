import FerryDemo
import Foundation
import GRDB
import PasswordHashes
import Testing

/// The whole account arrives, through every target kind: a second factor
/// with its state (a code used on legacy just before the migration is refused
/// on the new platform, a used recovery code stays used, the device keeps its
/// name), staff flags and roles; and a privileged account is held on legacy
/// when a rule says so.
@Suite(.serialized) struct AccountFidelityScenarioTests {
    @Test(.timeLimit(.minutes(3)), arguments: DemoConfig.Target.allCases)
    func factorStateSurvivesTheMigration(target: DemoConfig.Target) async throws {
        try await MigrationScenarioTests.inWorld(target) { world in
            let user = try #require(world.credentials.first { $0.totpSecret != nil })
            let secret = try #require(user.totpSecret)
            let totp = TOTP(secret: try #require(Base32.decode(secret)))
            let recoveryCode = try #require(user.recoveryCode)

            // On legacy, straight (not through Ferry): a recovery code, then a TOTP code.
            let usedCode = totp.code(at: Date())
            for code in [recoveryCode, usedCode] {
                let first = try await world.send(
                    .POST, world.legacyServer.url + "/login",
                    form: [("username", user.username), ("password", user.password)])
                let pending = try #require(first.cookies["legacy_mfa"])
                let second = try await world.send(
                    .POST, world.legacyServer.url + "/login/mfa", form: [("code", code)],
                    cookies: ["legacy_mfa": pending])
                #expect(second.status == 303, "legacy accepts the code once")
            }

            try await world.legacy.database.write { db in
                try db.execute(
                    sql: "UPDATE totp SET drift = 3 WHERE user_id = (SELECT id FROM users WHERE username = ?)",
                    arguments: [user.username])
            }

            // The first login through Ferry migrates; the new platform asks for the second factor.
            let login = try await world.login(user.username, user.password)
            #expect(login.status == 200)
            let pending = try #require(login.cookies["new_mfa"])
            #expect(try world.newAccounts(user.username).count == 1)
            func submit(_ code: String) async throws -> Int {
                try await world.send(
                    .POST, world.base + "/login/mfa", form: [("code", code)], cookies: ["new_mfa": pending]
                ).status
            }
            #expect(try await submit(usedCode) == 401, "the code legacy accepted is not accepted again")
            #expect(try await submit(recoveryCode) == 401, "the recovery code used on legacy stays used")
            // The device runs three steps ahead, as legacy learned: with one step
            // of tolerance either side, only the carried drift lets its code in.
            #expect(
                try await submit(totp.code(at: Date().addingTimeInterval(Double(3 * totp.period)))) == 303,
                "the device's learned clock drift came along")

            let accountID = try #require(try world.newAccounts(user.username).first?.id)
            let (label, codesLeft) = try await world.new.database.read { db in
                (
                    try String.fetchOne(
                        db, sql: "SELECT label FROM totp_factors WHERE account_id = ?", arguments: [accountID]),
                    try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM recovery_codes WHERE account_id = ? AND used = 0",
                        arguments: [accountID])
                )
            }
            let legacyLabel = try await world.legacy.database.read { db in
                try String.fetchOne(
                    db, sql: "SELECT label FROM totp WHERE user_id = (SELECT id FROM users WHERE username = ?)",
                    arguments: [user.username])
            }
            #expect(legacyLabel != nil)
            #expect(label == legacyLabel, "the device keeps its name")
            #expect(codesLeft == 3, "four codes carried, one of them used")
        }
    }

    @Test(.timeLimit(.minutes(3)), arguments: DemoConfig.Target.allCases)
    func rolesAndFlagsArriveAndAdminsAreHeld(target: DemoConfig.Target) async throws {
        try await MigrationScenarioTests.inWorld(
            target, configure: { $0.migrationExtra = #"hold_on_legacy = ["role:admin"]"# }
        ) {
            world in
            let staff = try #require(world.credentials.first { $0.isStaff && !$0.roles.contains("admin") })
            _ = try await world.login(staff.username, staff.password)
            let account = try #require(try world.newAccounts(staff.username).first)
            let (isStaff, roles) = try await world.new.database.read { db in
                (
                    try Bool.fetchOne(db, sql: "SELECT is_staff FROM accounts WHERE id = ?", arguments: [account.id]),
                    try String.fetchAll(
                        db, sql: "SELECT role FROM account_roles WHERE account_id = ? ORDER BY rowid",
                        arguments: [account.id])
                )
            }
            #expect(isStaff == true, "the staff flag arrives")
            #expect(roles == staff.roles, "roles arrive in order")

            // An administrator logs in as always, on legacy, and is not migrated.
            let admin = try #require(world.credentials.first { $0.roles.contains("admin") })
            let login = try await world.login(admin.username, admin.password)
            #expect(login.status == 303)
            #expect(login.cookies["legacy_session"] != nil, "logged in by legacy")
            #expect(try world.newAccounts(admin.username).isEmpty)
            let record = try #require(try await world.record(admin.username))
            #expect(record.state == .skipped)
            #expect(record.lastFailure == #"held on legacy by hold_on_legacy rule "role:admin""#)
            #expect(try await world.metrics().contains(#"reason="held_on_legacy""#))
        }
    }

    /// Someone who signed up on the new platform during the migration logs in
    /// through Ferry; an identifier neither platform knows gets legacy's answer.
    @Test(.timeLimit(.minutes(3)), arguments: DemoConfig.Target.allCases)
    func newOnlyUsersLogInThroughFerry(target: DemoConfig.Target) async throws {
        try await MigrationScenarioTests.inWorld(target) { world in
            let signup = try await world.send(
                .POST, world.base + "/signup",
                form: [("username", "newcomer"), ("email", "newcomer@example.org"), ("password", "fresh-start-9")])
            #expect(signup.status == 201, "signed up on the new platform")
            for identifier in ["newcomer", "NewComer@Example.org"] {
                let login = try await world.login(identifier, "fresh-start-9")
                #expect(login.status == 303, "\(identifier)")
                #expect(login.cookies["new_session"] != nil, "logged in by the new platform as \(identifier)")
            }
            let wrong = try await world.login("newcomer", "not-it")
            #expect(wrong.status == 401)
            #expect(wrong.cookies["legacy_session"] == nil)

            let ghost = try await world.login("nobody-at-all", "whatever")
            #expect(ghost.status == 401)
            #expect(ghost.body.contains("Wrong username or password"))
            let metrics = try await world.metrics()
            #expect(metrics.contains(#"destination="new",reason="new_only""#))
            #expect(try await world.record("newcomer") == nil, "Ferry keeps no record of users it does not migrate")
        }
    }

    /// A variant Ferry normalizes (NFKC: fullwidth letters) finds the legacy
    /// user; the new platform, which does not normalize, is asked about the
    /// name the user was provisioned under, on the first login and later.
    @Test(.timeLimit(.minutes(2))) func theNewPlatformHearsTheProvisionedName() async throws {
        try await MigrationScenarioTests.inWorld(.scim) { world in
            let user = try #require(world.credentials.first { $0.totpSecret == nil })
            let fullwidth = String(
                String.UnicodeScalarView(
                    user.username.unicodeScalars.map { scalar in
                        ("a"..."z").contains(Character(scalar))
                            ? Unicode.Scalar(scalar.value - 0x61 + 0xFF41)! : scalar
                    }))
            #expect(fullwidth != user.username)
            for attempt in ["first login", "later login"] {
                let reply = try await world.login(fullwidth, user.password)
                #expect(reply.status == 303 && reply.cookies["new_session"] != nil, "\(attempt)")
            }
            #expect(
                try await world.loginToNewDirectly(fullwidth, user.password).status == 401,
                "the new platform itself does not know the variant")
        }
    }

    /// Legacy tells "Ada" from "ada" (as Django does), so they are two people
    /// with two passwords. A target that tells them apart gets two accounts;
    /// one that does not gets the first, and the second is a conflict that
    /// stays on legacy: never one person logged in to the other's account.
    @Test(
        .timeLimit(.minutes(3)),
        arguments: DemoConfig.Target.allCases, [NewPlatform.UserNames.caseSensitive, .caseInsensitive])
    func twoUsersDifferingOnlyInCase(target: DemoConfig.Target, newUserNames: NewPlatform.UserNames) async throws {
        try await MigrationScenarioTests.inWorld(target, newUserNames: newUserNames) { world in
            let lower = try #require(world.credentials.first { $0.totpSecret == nil && !$0.isStaff })
            let upper = (
                username: lower.username.prefix(1).uppercased() + lower.username.dropFirst(),
                password: "someone-else-entirely-7"
            )
            _ = try world.legacy.addUser(
                LegacyUser(
                    username: upper.username, email: "other.\(lower.username)@example.net",
                    passwordHash: LegacyHashWriter.md5Hex(upper.password)))

            for (username, password) in [(lower.username, lower.password), (upper.username, upper.password)] {
                let reply = try await world.login(username, password)
                #expect(reply.status == 303, "\(username) logs in with their own password")
                #expect(
                    try await world.login(username, username == upper.username ? lower.password : upper.password)
                        .status == 401, "and not with the other's")
            }
            let records = (try await world.record(lower.username), try await world.record(upper.username))
            #expect(records.0?.state == .migrated)
            let accounts = try await world.new.database.read { db in
                try String.fetchAll(
                    db, sql: "SELECT user_name FROM accounts WHERE lower(user_name) = lower(?) ORDER BY user_name",
                    arguments: [lower.username])
            }
            switch newUserNames {
            case .caseSensitive:
                #expect(records.1?.state == .migrated)
                #expect(accounts == [upper.username, lower.username], "two accounts")
                for (username, password) in [(lower.username, lower.password), (upper.username, upper.password)] {
                    #expect(try await world.loginToNewDirectly(username, password).status == 303)
                }
            case .caseInsensitive:
                #expect(records.1?.state != .migrated, "the second is a conflict, not merged")
                #expect(accounts == [lower.username], "one account, the first one's")
                #expect(try await world.loginToNewDirectly(lower.username, upper.password).status == 401)
                let again = try await world.login(upper.username, upper.password)
                #expect(
                    again.status == 303 && again.cookies["legacy_session"] != nil,
                    "the second keeps logging in on legacy")
            }
        }
    }
}
