import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import Logging
import PasswordHashes

/// The sample new identity platform: argon2id PHC hashes in its own SQLite
/// schema (different from legacy's), form or JSON login with a TOTP step, a
/// `new_session` cookie, an account page that shows MFA and consent state, and
/// a SCIM 2.0 `/scim/v2/Users` provisioning API (bearer token) with an
/// extension schema for password hash, MFA factors and consents.
public final class NewPlatform: Sendable {
    public static let migrationSchema = "urn:ferry:params:scim:schemas:extension:migration:2.0:User"
    static let coreSchema = "urn:ietf:params:scim:schemas:core:2.0:User"
    static let enterpriseSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    static let errorSchema = "urn:ietf:params:scim:api:messages:2.0:Error"

    public let database: DatabaseQueue
    public let sessionLifetime: TimeInterval
    let scimToken: String
    /// Key of the `Ferry-Signature` HMAC on `/hooks/ferry`; nil disables the hook.
    let webhookKey: String?
    let clock: @Sendable () -> Date
    let logger: Logger
    let passwords = PasswordChecker()

    /// Whether "Ada" and "ada" are one account (Keycloak, Auth0, a Cognito
    /// pool's default) or two (a Django or Rails application as the target).
    public enum UserNames: Sendable {
        case caseInsensitive, caseSensitive
    }

    public init(
        path: String, scimToken: String, webhookKey: String? = nil, sessionLifetime: TimeInterval = 3600,
        userNames: UserNames = .caseInsensitive, clock: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "new-platform")
    ) throws {
        database = try PlatformDatabase.open(path: path, migrator: Self.migrator(userNames: userNames))
        self.scimToken = scimToken
        self.webhookKey = webhookKey
        self.sessionLifetime = sessionLifetime
        self.clock = clock
        self.logger = logger
    }

    static func migrator(userNames: UserNames) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE accounts (
                        id TEXT PRIMARY KEY,
                        external_id TEXT UNIQUE,
                        user_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        email TEXT COLLATE NOCASE,
                        email_verified INTEGER NOT NULL DEFAULT 0,
                        password_phc TEXT,
                        given_name TEXT NOT NULL DEFAULT '',
                        family_name TEXT NOT NULL DEFAULT '',
                        locale TEXT NOT NULL DEFAULT 'en',
                        active INTEGER NOT NULL DEFAULT 1,
                        mfa_reenroll_required INTEGER NOT NULL DEFAULT 0,
                        legacy_scheme TEXT,
                        created REAL NOT NULL,
                        last_modified REAL NOT NULL
                    );
                    CREATE TABLE totp_factors (
                        account_id TEXT NOT NULL REFERENCES accounts(id),
                        secret_base32 TEXT NOT NULL,
                        digits INTEGER NOT NULL,
                        period INTEGER NOT NULL,
                        algorithm TEXT NOT NULL
                    );
                    CREATE TABLE recovery_codes (
                        account_id TEXT NOT NULL REFERENCES accounts(id),
                        code_sha256 TEXT NOT NULL,
                        used INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE consent_records (
                        account_id TEXT NOT NULL REFERENCES accounts(id),
                        purpose TEXT NOT NULL,
                        client TEXT NOT NULL,
                        version TEXT NOT NULL,
                        granted INTEGER NOT NULL,
                        granted_at REAL NOT NULL
                    );
                    CREATE TABLE web_sessions (
                        id_sha256 TEXT PRIMARY KEY,
                        account_id TEXT NOT NULL REFERENCES accounts(id),
                        kind TEXT NOT NULL,
                        expires_at REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2: webhook deliveries") { db in
            try db.execute(
                sql: "CREATE TABLE webhook_deliveries (idempotency_key TEXT PRIMARY KEY, account_id TEXT NOT NULL)")
        }
        migrator.registerMigration("v3: TOTP replay protection") { db in
            try db.execute(sql: "ALTER TABLE totp_factors ADD COLUMN last_used_step INTEGER")
        }
        migrator.registerMigration("v4: authenticator labels") { db in
            try db.execute(sql: "ALTER TABLE totp_factors ADD COLUMN label TEXT")
        }
        migrator.registerMigration("v5: staff and roles") { db in
            try db.execute(
                sql: """
                    ALTER TABLE accounts ADD COLUMN is_staff INTEGER NOT NULL DEFAULT 0;
                    CREATE TABLE account_roles (account_id TEXT NOT NULL REFERENCES accounts(id), role TEXT NOT NULL);
                    """)
        }
        migrator.registerMigration("v6: authenticator clock drift") { db in
            try db.execute(sql: "ALTER TABLE totp_factors ADD COLUMN drift INTEGER NOT NULL DEFAULT 0")
        }
        if userNames == .caseSensitive {
            migrator.registerMigration("v7: case-sensitive user names") { db in
                try db.execute(
                    sql: """
                        CREATE TABLE accounts_v7 (
                            id TEXT PRIMARY KEY,
                            external_id TEXT UNIQUE,
                            user_name TEXT NOT NULL UNIQUE,
                            email TEXT COLLATE NOCASE,
                            email_verified INTEGER NOT NULL DEFAULT 0,
                            password_phc TEXT,
                            given_name TEXT NOT NULL DEFAULT '',
                            family_name TEXT NOT NULL DEFAULT '',
                            locale TEXT NOT NULL DEFAULT 'en',
                            active INTEGER NOT NULL DEFAULT 1,
                            mfa_reenroll_required INTEGER NOT NULL DEFAULT 0,
                            legacy_scheme TEXT,
                            created REAL NOT NULL,
                            last_modified REAL NOT NULL,
                            is_staff INTEGER NOT NULL DEFAULT 0
                        );
                        INSERT INTO accounts_v7 SELECT id, external_id, user_name, email, email_verified,
                            password_phc, given_name, family_name, locale, active, mfa_reenroll_required,
                            legacy_scheme, created, last_modified, is_staff FROM accounts;
                        DROP TABLE accounts;
                        ALTER TABLE accounts_v7 RENAME TO accounts;
                        """)
            }
        }
        return migrator
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/login") { request, _ in try await self.login(request) }
        router.post("/login/mfa") { request, _ in try await self.secondFactor(request) }
        router.get("/account") { request, _ in try await self.account(request) }
        router.post("/logout") { request, _ in try await self.logout(request) }
        router.post("/signup") { request, _ in try await self.signup(request) }
        let scim = router.group("/scim/v2")
        scim.post("/Users") { request, _ in try await self.createUser(request) }
        scim.get("/Users/{id}") { request, context in
            try await self.getUser(request, id: context.parameters.get("id") ?? "")
        }
        scim.get("/Users") { request, _ in try await self.listUsers(request) }
        scim.get("/ServiceProviderConfig") { request, _ in try self.serviceProviderConfig(request) }
        router.post("/hooks/ferry") { request, _ in try await self.webhook(request) }
        return router
    }

    // MARK: Login

    private func login(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 16 << 10)
        let fields = WebForms.fields(of: request, body: body)
        let identifier = (fields["username"] ?? fields["email"] ?? "").trimmingCharacters(in: .whitespaces)
        let password = fields["password"] ?? ""
        let failed = WebForms.page(.unauthorized, title: "Login failed", body: "<p>Wrong username or password.</p>")
        guard
            let row = try await database.read({ db -> (id: String, phc: String?, active: Bool, reenroll: Bool)? in
                try Row.fetchOne(
                    db,
                    sql:
                        "SELECT id, password_phc, active, mfa_reenroll_required FROM accounts WHERE user_name = ? OR email = ?",
                    arguments: [identifier, identifier]
                ).map { ($0["id"], $0["password_phc"], $0["active"], $0["mfa_reenroll_required"]) }
            }), let phc = row.phc, row.active
        else { return failed }
        guard let verified = await passwords.verify(password: password, hash: phc) else { return PasswordChecker.busy }
        guard verified.isMatch else { return failed }
        let id = row.id
        let hasTOTP = try await database.read { db in
            try Bool.fetchOne(db, sql: "SELECT COUNT(*) > 0 FROM totp_factors WHERE account_id = ?", arguments: [id])
                ?? false
        }
        if hasTOTP {
            let pending = try await startSession(account: id, kind: "mfa_pending", lifetime: 300)
            return WebForms.page(
                .ok, title: "Two-step verification",
                body: #"<form method="post" action="/login/mfa"><input name="code"><button>Verify</button></form>"#,
                cookies: ["new_mfa=\(pending); Path=/; HttpOnly; SameSite=Lax; Max-Age=300"])
        }
        return try await completeLogin(account: id, enrollNotice: row.reenroll)
    }

    private func secondFactor(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 16 << 10)
        let code = WebForms.fields(of: request, body: body)["code"] ?? ""
        guard let pending = WebForms.cookie("new_mfa", in: request),
            let account = try await session(pending, kind: "mfa_pending")
        else {
            return WebForms.page(.unauthorized, title: "Login expired", body: "<p>Please log in again.</p>")
        }
        let now = clock()
        let accepted = try await database.write { db -> Bool in
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT rowid, secret_base32, digits, period, algorithm, last_used_step, drift FROM totp_factors WHERE account_id = ?",
                arguments: [account])
            {
                if let totp = TOTP(
                    base32Secret: row["secret_base32"], digits: row["digits"], period: row["period"],
                    algorithm: row["algorithm"]),
                    let step = totp.acceptedStep(code, at: now, drift: row["drift"], after: row["last_used_step"])
                {
                    // Where the code fell is where this device's clock is now.
                    try db.execute(
                        sql: "UPDATE totp_factors SET last_used_step = ?, drift = ? WHERE rowid = ?",
                        arguments: [step, step - totp.step(at: now), row["rowid"] as Int64])
                    return true
                }
            }
            try db.execute(
                sql: "UPDATE recovery_codes SET used = 1 WHERE account_id = ? AND code_sha256 = ? AND used = 0",
                arguments: [account, WebForms.tokenHash(code.trimmingCharacters(in: .whitespaces))])
            return db.changesCount == 1
        }
        guard accepted else {
            return WebForms.page(.unauthorized, title: "Wrong code", body: "<p>That code is not valid.</p>")
        }
        try await database.write { db in
            try db.execute(
                sql: "DELETE FROM web_sessions WHERE id_sha256 = ?", arguments: [WebForms.tokenHash(pending)])
        }
        return try await completeLogin(account: account, enrollNotice: false)
    }

    private func completeLogin(account: String, enrollNotice: Bool) async throws -> Response {
        let session = try await startSession(account: account, kind: "session", lifetime: sessionLifetime)
        return WebForms.page(
            .seeOther, title: "Welcome", body: #"<p><a href="/account">Your account</a></p>"#,
            cookies: ["new_session=\(session); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(Int(sessionLifetime))"],
            location: enrollNotice ? "/account?enroll=mfa" : "/account")
    }

    private func startSession(account: String, kind: String, lifetime: TimeInterval) async throws -> String {
        let token = WebForms.randomToken()
        let expiresAt = clock().timeIntervalSince1970 + lifetime
        try await database.write { db in
            try db.execute(
                sql: "INSERT INTO web_sessions (id_sha256, account_id, kind, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [WebForms.tokenHash(token), account, kind, expiresAt])
        }
        return token
    }

    func session(_ token: String, kind: String = "session") async throws -> String? {
        let now = clock().timeIntervalSince1970
        return try await database.read { db in
            try String.fetchOne(
                db, sql: "SELECT account_id FROM web_sessions WHERE id_sha256 = ? AND kind = ? AND expires_at > ?",
                arguments: [WebForms.tokenHash(token), kind, now])
        }
    }

    private func account(_ request: Request) async throws -> Response {
        guard let token = WebForms.cookie("new_session", in: request), let account = try await session(token) else {
            return WebForms.page(.unauthorized, title: "Not logged in", body: "<p>Please log in.</p>")
        }
        let html = try await database.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [account])!
            let labels = try Row.fetchAll(
                db, sql: "SELECT label FROM totp_factors WHERE account_id = ? ORDER BY rowid", arguments: [account]
            ).map { ($0["label"] as String?) ?? "authenticator app" }
            let codes =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM recovery_codes WHERE account_id = ? AND used = 0",
                    arguments: [account]) ?? 0
            let consents = try Row.fetchAll(
                db,
                sql:
                    "SELECT purpose, client, version, granted, granted_at FROM consent_records WHERE account_id = ? ORDER BY purpose",
                arguments: [account])
            var html =
                "<p>Logged in to the new platform as <b id=\"username\">\(WebForms.escape(row["user_name"]))</b>.</p>"
            let enrolled = labels.map { "TOTP enrolled (\(WebForms.escape($0)))" }.joined(separator: ", ")
            html += "<p id=\"mfa\">Two-step verification: \(labels.isEmpty ? "not enrolled" : enrolled)"
            html += ", \(codes) recovery codes left"
            if row["mfa_reenroll_required"] as Bool { html += ", <b>re-enrollment required</b>" }
            let roles = try String.fetchAll(
                db, sql: "SELECT role FROM account_roles WHERE account_id = ? ORDER BY rowid", arguments: [account])
            html +=
                ".</p><p id=\"roles\">Roles: \(roles.isEmpty ? "none" : WebForms.escape(roles.joined(separator: ", ")))"
            if row["is_staff"] as Bool { html += " (staff)" }
            html += ".</p><ul id=\"consents\">"
            for consent in consents {
                let when = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: consent["granted_at"]))
                html +=
                    "<li>\(WebForms.escape(consent["purpose"])) version \(WebForms.escape(consent["version"])) for \(WebForms.escape(consent["client"])): "
                html += "\((consent["granted"] as Bool) ? "granted" : "refused") \(when)</li>"
            }
            html += "</ul>"
            return html
        }
        return WebForms.page(.ok, title: "New account", body: html)
    }

    private func logout(_ request: Request) async throws -> Response {
        if let token = WebForms.cookie("new_session", in: request) {
            try await database.write { db in
                try db.execute(
                    sql: "DELETE FROM web_sessions WHERE id_sha256 = ?", arguments: [WebForms.tokenHash(token)])
            }
        }
        return WebForms.page(
            .ok, title: "Logged out", body: "<p>Bye.</p>", cookies: ["new_session=; Path=/; Max-Age=0"])
    }

    // MARK: SCIM

    static func scimError(_ status: HTTPResponse.Status, _ detail: String, scimType: String? = nil) -> Response {
        var object: [String: Any] = ["schemas": [errorSchema], "status": String(status.code), "detail": detail]
        if let scimType { object["scimType"] = scimType }
        return WebForms.json(status, object, contentType: "application/scim+json")
    }

    /// nil when the request carries the SCIM bearer token.
    private func refuseWithoutToken(_ request: Request) -> Response? {
        let presented = request.headers[.authorization].flatMap {
            $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil
        }
        guard let presented, constantTimeEquals(Array(presented.utf8), Array(scimToken.utf8)) else {
            var response = Self.scimError(.unauthorized, "a valid bearer token is required")
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return nil
    }

    private func createUser(_ request: Request) async throws -> Response {
        if let refusal = refuseWithoutToken(request) { return refusal }
        var request = request
        let body = try await request.collectBody(upTo: 256 << 10)
        guard let user = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
            let userName = user["userName"] as? String, !userName.isEmpty
        else {
            return Self.scimError(.badRequest, "body must be a SCIM User with a userName", scimType: "invalidValue")
        }
        let migration = user[Self.migrationSchema] as? [String: Any] ?? [:]
        let phc = migration["passwordHash"] as? String
        if let phc {
            guard let parsed = try? HashCatalog().parse(phc), parsed.scheme == "argon2id" else {
                return Self.scimError(
                    .badRequest, "passwordHash must be an argon2id PHC string", scimType: "invalidValue")
            }
        }
        let input: SCIMUserInput
        do {
            input = try SCIMUserInput(user, migration: migration, userName: userName, passwordHash: phc)
        } catch let error as SCIMInvalid {
            return Self.scimError(.badRequest, error.detail, scimType: "invalidValue")
        }
        let id = UUID().uuidString.lowercased()
        do {
            try await database.write { db in try self.insert(input, id: id, db) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            return Self.scimError(
                .conflict, "a user with this userName or externalId already exists", scimType: "uniqueness")
        }
        var response = try await getUser(id: id)
        response.status = .created
        response.headers[.location] = "/scim/v2/Users/\(id)"
        return response
    }

    /// Self-service sign-up: username, email, password. A taken username or
    /// email is 409, as on any platform.
    private func signup(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 16 << 10)
        let fields = WebForms.fields(of: request, body: body)
        let username = (fields["username"] ?? "").trimmingCharacters(in: .whitespaces)
        let email = (fields["email"] ?? "").trimmingCharacters(in: .whitespaces)
        let password = fields["password"] ?? ""
        guard !username.isEmpty, email.contains("@"), password.count >= 8 else {
            return WebForms.page(
                .badRequest, title: "Sign-up", body: "<p>Username, e-mail and a password of 8+ characters.</p>")
        }
        guard let phc = try? Rehasher().hash(password) else {
            return WebForms.page(.badRequest, title: "Sign-up", body: "<p>That password cannot be used.</p>")
        }
        let now = clock().timeIntervalSince1970
        let taken = try await database.read { db in
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM accounts WHERE user_name = ? OR email = ?)",
                arguments: [username, email]) ?? false
        }
        guard !taken else {
            return WebForms.page(.conflict, title: "Sign-up", body: "<p>That username or e-mail is taken.</p>")
        }
        do {
            try await database.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO accounts (id, user_name, email, password_phc, created, last_modified)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """, arguments: [UUID().uuidString.lowercased(), username, email, phc, now, now])
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            return WebForms.page(.conflict, title: "Sign-up", body: "<p>That username or e-mail is taken.</p>")
        }
        return WebForms.page(.created, title: "Welcome", body: #"<p><a href="/login">Log in</a></p>"#)
    }

    /// Writes a provisioned account with its factors and consents, in the
    /// caller's transaction.
    private func insert(_ input: SCIMUserInput, id: String, _ db: Database) throws {
        let now = clock().timeIntervalSince1970
        try db.execute(
            sql: """
                INSERT INTO accounts (id, external_id, user_name, email, email_verified, password_phc, given_name, family_name,
                    locale, active, mfa_reenroll_required, legacy_scheme, created, last_modified, is_staff)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                id, input.externalId, input.userName, input.email, input.emailVerified, input.passwordHash,
                input.givenName, input.familyName, input.locale, input.active, input.reenrollRequired,
                input.legacyScheme, now, now, input.isStaff,
            ])
        for role in input.roles {
            try db.execute(sql: "INSERT INTO account_roles (account_id, role) VALUES (?, ?)", arguments: [id, role])
        }
        for factor in input.totp {
            try db.execute(
                sql:
                    "INSERT INTO totp_factors (account_id, secret_base32, digits, period, algorithm, label, last_used_step, drift) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    id, factor.secret, factor.digits, factor.period, factor.algorithm, factor.label,
                    factor.lastUsedStep, factor.drift,
                ])
        }
        // Recovery codes arrive as the legacy platform stored them (SHA-256 hex),
        // used ones too, so they stay refused.
        for code in input.recoveryCodes {
            try db.execute(
                sql: "INSERT INTO recovery_codes (account_id, code_sha256, used) VALUES (?, ?, ?)",
                arguments: [id, code.digest, code.used])
        }
        for consent in input.consents {
            try db.execute(
                sql:
                    "INSERT INTO consent_records (account_id, purpose, client, version, granted, granted_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    id, consent.purpose, consent.client, consent.version, consent.granted,
                    consent.grantedAt.timeIntervalSince1970,
                ])
        }
    }

    // MARK: Webhook

    /// Ferry's webhook target: checks `Ferry-Signature` (HMAC-SHA256 over
    /// "<t>." + body, at most five minutes old), answers a repeated
    /// `Idempotency-Key` with the account it made, and a user that exists
    /// already with 409 and its `legacy_id`.
    private func webhook(_ request: Request) async throws -> Response {
        guard let webhookKey else { return WebForms.json(.notFound, ["error": "webhook not enabled"]) }
        var request = request
        let body = Array(try await request.collectBody(upTo: 256 << 10).readableBytesView)
        guard let signature = request.headers[HTTPField.Name("Ferry-Signature")!],
            Self.signatureIsValid(signature, body: body, key: Array(webhookKey.utf8), now: clock())
        else { return WebForms.json(.unauthorized, ["error": "missing, wrong or stale Ferry-Signature"]) }
        // Ferry's `check-config --connect` pings with a signed body; like a real
        // receiver, answer it without creating anything.
        if (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?["event"] as? String == "ping" {
            return WebForms.json(.ok, ["ok": true])
        }
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!], !key.isEmpty else {
            return WebForms.json(.badRequest, ["error": "Idempotency-Key is required"])
        }
        if let earlier = try await database.read({ db in
            try String.fetchOne(
                db, sql: "SELECT account_id FROM webhook_deliveries WHERE idempotency_key = ?", arguments: [key])
        }) {
            return WebForms.json(.ok, ["id": earlier])
        }
        guard let delivery = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let id = delivery["new_id"] as? String, let user = delivery["user"] as? [String: Any],
            let input = try? SCIMUserInput(webhook: user)
        else { return WebForms.json(.badRequest, ["error": "body is not a Ferry user.migrated delivery"]) }
        let existing = try await database.read { db -> (id: String, legacyID: String?)? in
            try Row.fetchOne(
                db, sql: "SELECT id, external_id FROM accounts WHERE user_name = ? OR external_id = ?",
                arguments: [input.userName, input.externalId]
            ).map { ($0["id"], $0["external_id"]) }
        }
        if let existing {
            return WebForms.json(.conflict, ["id": existing.id, "legacy_id": existing.legacyID ?? ""])
        }
        try await database.write { db in
            try self.insert(input, id: id, db)
            try db.execute(
                sql: "INSERT INTO webhook_deliveries (idempotency_key, account_id) VALUES (?, ?)", arguments: [key, id])
        }
        return WebForms.json(.created, ["id": id])
    }

    static func signatureIsValid(_ header: String, body: [UInt8], key: [UInt8], now: Date) -> Bool {
        var timestamp: Int?
        var mac: [UInt8]?
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int(pair[1]) }
            if pair[0] == "v1" { mac = Hex.decode(pair[1]) }
        }
        guard let timestamp, let mac, abs(now.timeIntervalSince1970 - Double(timestamp)) <= 300 else { return false }
        let expected = DigestAlgorithm.sha256.hmac(key: key, Array("\(timestamp).".utf8) + body)
        return constantTimeEquals(mac, expected)
    }

    private func getUser(_ request: Request, id: String) async throws -> Response {
        if let refusal = refuseWithoutToken(request) { return refusal }
        return try await getUser(id: id)
    }

    private func getUser(id: String) async throws -> Response {
        guard let resource = try await resource(id: id) else { return Self.scimError(.notFound, "no such user") }
        return WebForms.json(.ok, resource, contentType: "application/scim+json")
    }

    /// `GET /Users?filter=userName eq "alice"` (the one filter provisioning clients need).
    /// RFC 7643 §5: what this provider supports (no PATCH, bulk, sort or
    /// password change; filters limited as `listUsers` says).
    private func serviceProviderConfig(_ request: Request) throws -> Response {
        if let refusal = refuseWithoutToken(request) { return refusal }
        let unsupported: [String: Any] = ["supported": false]
        return WebForms.json(
            .ok,
            [
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                "patch": unsupported, "bulk": ["supported": false, "maxOperations": 0, "maxPayloadSize": 0],
                "filter": ["supported": true, "maxResults": 100], "changePassword": unsupported,
                "sort": unsupported, "etag": unsupported,
                "authenticationSchemes": [
                    ["type": "oauthbearertoken", "name": "Bearer token", "description": "A static bearer token"]
                ],
            ])
    }

    private func listUsers(_ request: Request) async throws -> Response {
        if let refusal = refuseWithoutToken(request) { return refusal }
        let filter = request.uri.queryParameters.get("filter") ?? ""
        let parts = filter.split(separator: " ", maxSplits: 2)
        var ids: [String] = []
        let columns = ["username": "user_name", "externalid": "external_id", "emails.value": "email"]
        if parts.count == 3, parts[1].lowercased() == "eq", let column = columns[parts[0].lowercased()],
            let value = Self.filterString(parts[2])
        {
            ids = try await database.read { db in
                try String.fetchAll(db, sql: "SELECT id FROM accounts WHERE \(column) = ?", arguments: [value])
            }
        } else if !filter.isEmpty {
            return Self.scimError(
                .badRequest, "only userName, externalId and emails.value eq filters are supported",
                scimType: "invalidFilter")
        }
        var resources: [[String: Any]] = []
        for id in ids {
            if let resource = try await resource(id: id) { resources.append(resource) }
        }
        return WebForms.json(
            .ok,
            [
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": resources.count,
                "Resources": resources,
            ], contentType: "application/scim+json")
    }

    /// A filter's comparison value: a JSON string (quotes and backslashes
    /// escaped), as RFC 7644 writes it; nil when it is not one.
    static func filterString(_ text: Substring) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) as? String
    }

    /// The SCIM representation; secrets (hash, TOTP secrets, recovery codes) never leave.
    private func resource(id: String) async throws -> [String: Any]? {
        try await database.read { db -> JSONObject? in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [id]) else {
                return nil
            }
            let factors =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM totp_factors WHERE account_id = ?", arguments: [id])
                ?? 0
            let consents = try Row.fetchAll(
                db,
                sql:
                    "SELECT purpose, client, version, granted, granted_at FROM consent_records WHERE account_id = ? ORDER BY purpose",
                arguments: [id])
            let formatter = ISO8601DateFormatter()
            var resource: [String: Any] = [
                "schemas": [Self.coreSchema, Self.migrationSchema], "id": id, "userName": row["user_name"] as String,
                "name": ["givenName": row["given_name"] as String, "familyName": row["family_name"] as String],
                "active": row["active"] as Bool, "locale": row["locale"] as String,
                "meta": [
                    "resourceType": "User", "location": "/scim/v2/Users/\(id)",
                    "created": formatter.string(from: Date(timeIntervalSince1970: row["created"])),
                    "lastModified": formatter.string(from: Date(timeIntervalSince1970: row["last_modified"])),
                ],
                Self.migrationSchema: [
                    "legacyScheme": (row["legacy_scheme"] as String?).map { $0 as Any } ?? NSNull(),
                    "mfa": ["totpEnrolled": factors > 0, "reenrollRequired": row["mfa_reenroll_required"] as Bool],
                    "consents": consents.map {
                        [
                            "purpose": $0["purpose"] as String, "client": $0["client"] as String,
                            "version": $0["version"] as String,
                            "granted": $0["granted"] as Bool,
                            "grantedAt": formatter.string(from: Date(timeIntervalSince1970: $0["granted_at"])),
                        ] as [String: Any]
                    },
                ],
            ]
            if let external = row["external_id"] as String? { resource["externalId"] = external }
            if let email = row["email"] as String? {
                resource["emails"] = [["value": email, "primary": true, "verified": row["email_verified"] as Bool]]
            }
            return JSONObject(value: resource)
        }?.value
    }

    /// A JSON object built inside a read and handed out of it. Unchecked: it
    /// holds only strings, numbers, booleans, NSNull and arrays and objects of
    /// them, made fresh for each call and shared with nobody.
    private struct JSONObject: @unchecked Sendable {
        var value: [String: Any]
    }
}

/// A SCIM User body, read and checked before anything is written.
struct SCIMUserInput: Sendable {
    struct Factor: Sendable {
        var secret: String
        var digits: Int
        var period: Int
        var algorithm: String
        var label: String?
        /// The step of the last code legacy accepted: that code and older
        /// ones stay refused here.
        var lastUsedStep: Int64?
        /// The clock drift legacy learned for the device, in steps.
        var drift: Int = 0
    }

    struct RecoveryCode: Sendable {
        var digest: String
        var used: Bool
    }

    var userName: String
    var externalId: String?
    var email: String?
    var emailVerified: Bool
    var passwordHash: String?
    var givenName: String
    var familyName: String
    var locale: String
    var active: Bool
    var reenrollRequired: Bool
    var legacyScheme: String?
    var totp: [Factor]
    var recoveryCodes: [RecoveryCode]
    var consents: [Consent]
    var isStaff = false
    var roles: [String] = []

    init(_ user: [String: Any], migration: [String: Any], userName: String, passwordHash: String?) throws {
        self.userName = userName
        self.passwordHash = passwordHash
        externalId = user["externalId"] as? String
        let name = user["name"] as? [String: Any] ?? [:]
        givenName = name["givenName"] as? String ?? ""
        familyName = name["familyName"] as? String ?? ""
        let emails = user["emails"] as? [[String: Any]] ?? []
        let primary = emails.first { $0["primary"] as? Bool == true } ?? emails.first
        email = primary?["value"] as? String
        emailVerified = primary?["verified"] as? Bool ?? false
        locale = user["locale"] as? String ?? "en"
        active = user["active"] as? Bool ?? true
        legacyScheme = migration["legacyScheme"] as? String
        let mfa = migration["mfa"] as? [String: Any] ?? [:]
        reenrollRequired = mfa["reenrollRequired"] as? Bool ?? false
        totp = try Factor.list(mfa["totp"], lastUsedStep: "lastUsedStep")
        recoveryCodes = RecoveryCode.list(mfa["recoveryCodes"], code: "value")
        roles = (user["roles"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String }
        isStaff = (migration["attributes"] as? [String: Any])?["is_staff"] as? Bool ?? false
        consents = try (migration["consents"] as? [[String: Any]] ?? []).map { consent in
            guard let purpose = consent["purpose"] as? String, let version = consent["version"] as? String,
                let grantedAt = (consent["grantedAt"] as? String).flatMap({ ISO8601DateFormatter().date(from: $0) })
            else { throw SCIMInvalid("each consent needs purpose, version and an RFC 3339 grantedAt") }
            return Consent(
                purpose: purpose, client: consent["client"] as? String ?? "", version: version,
                granted: consent["granted"] as? Bool ?? true, grantedAt: grantedAt)
        }
    }
}

extension SCIMUserInput {
    /// The `user` object of a Ferry webhook delivery (snake_case keys).
    init(webhook user: [String: Any]) throws {
        guard let legacyID = user["legacy_id"] as? String else { throw SCIMInvalid("user.legacy_id is required") }
        let credential = user["credential"] as? [String: Any] ?? [:]
        guard let hash = credential["password_hash"] as? String,
            (try? HashCatalog().parse(hash))?.scheme == "argon2id"
        else { throw SCIMInvalid("credential.password_hash must be an argon2id PHC string") }
        let profile = user["profile"] as? [String: Any] ?? [:]
        let mfa = user["mfa"] as? [String: Any] ?? [:]
        let dates = ISO8601DateFormatter()
        userName = (user["username"] as? String) ?? (user["email"] as? String) ?? legacyID
        externalId = legacyID
        email = user["email"] as? String
        emailVerified = user["email_verified"] as? Bool ?? false
        passwordHash = hash
        givenName = profile["given_name"] as? String ?? ""
        familyName = profile["family_name"] as? String ?? ""
        locale = profile["locale"] as? String ?? "en"
        active = true
        reenrollRequired = mfa["reenroll_required"] as? Bool ?? false
        legacyScheme = credential["legacy_scheme"] as? String
        totp = try Factor.list(mfa["totp"], lastUsedStep: "last_used_step")
        recoveryCodes = RecoveryCode.list(mfa["recovery_codes"], code: "code")
        roles = user["roles"] as? [String] ?? []
        // Carried attributes arrive typed: {"type": "boolean", "value": true}.
        let staff = (user["attributes"] as? [String: Any])?["is_staff"] as? [String: Any]
        isStaff = staff?["value"] as? Bool ?? false
        consents = try (user["consents"] as? [[String: Any]] ?? []).map { consent in
            guard let purpose = consent["purpose"] as? String,
                let at = (consent["at"] as? String).flatMap({ dates.date(from: $0) })
            else { throw SCIMInvalid("each consent needs a purpose and an RFC 3339 `at`") }
            return Consent(
                purpose: purpose, client: consent["client"] as? String ?? "",
                version: consent["version"] as? String ?? "",
                granted: consent["granted"] as? Bool ?? true, grantedAt: at)
        }
    }
}

extension SCIMUserInput.Factor {
    /// TOTP factors as both SCIM and webhook deliveries spell them (they differ
    /// in the case of `lastUsedStep`).
    static func list(_ value: Any?, lastUsedStep: String) throws -> [Self] {
        try (value as? [[String: Any]] ?? []).map { factor in
            guard let secret = factor["secret"] as? String, Base32.decode(secret) != nil else {
                throw SCIMInvalid("each mfa.totp entry needs a base32 secret")
            }
            return Self(
                secret: secret, digits: factor["digits"] as? Int ?? 6, period: factor["period"] as? Int ?? 30,
                algorithm: factor["algorithm"] as? String ?? "SHA1", label: factor["label"] as? String,
                lastUsedStep: (factor[lastUsedStep] as? NSNumber)?.int64Value,
                drift: (factor["drift"] as? NSNumber)?.intValue ?? 0)
        }
    }
}

extension SCIMUserInput.RecoveryCode {
    /// Objects with the code under `code` and a `used` flag; a bare string is
    /// an unused code.
    static func list(_ value: Any?, code: String) -> [Self] {
        (value as? [Any] ?? []).compactMap { entry in
            if let digest = entry as? String { return Self(digest: digest, used: false) }
            guard let object = entry as? [String: Any], let digest = object[code] as? String else { return nil }
            return Self(digest: digest, used: object["used"] as? Bool ?? false)
        }
    }
}

struct SCIMInvalid: Error {
    var detail: String
    init(_ detail: String) { self.detail = detail }
}
