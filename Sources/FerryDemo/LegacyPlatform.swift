import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import Logging
import PasswordHashes
import Synchronization

/// A consent record as both sample platforms keep it.
public struct Consent: Equatable, Sendable {
    public var purpose: String
    public var client: String
    public var version: String
    public var granted: Bool
    public var grantedAt: Date

    public init(purpose: String, client: String, version: String, granted: Bool, grantedAt: Date) {
        self.purpose = purpose
        self.client = client
        self.version = version
        self.granted = granted
        self.grantedAt = grantedAt
    }
}

/// A user of the sample legacy platform, as the seeder creates them.
public struct LegacyUser: Sendable {
    public var username: String
    public var email: String
    /// Any legacy format; `salt` set means a bare salted SHA-1 (salt in its own column).
    public var passwordHash: String
    public var salt: String?
    public var active: Bool
    public var givenName: String
    public var familyName: String
    public var locale: String
    public var totp: TOTP?
    /// The authenticator's name as the user gave it at enrollment.
    public var totpLabel: String?
    /// Plain recovery codes; the platform stores their SHA-256.
    public var recoveryCodes: [String]
    /// Staff see the back office; roles are the platform's groups.
    public var isStaff: Bool
    public var roles: [String]
    public var consents: [Consent]

    public init(
        username: String, email: String, passwordHash: String, salt: String? = nil, active: Bool = true,
        givenName: String = "", familyName: String = "", locale: String = "en", totp: TOTP? = nil,
        totpLabel: String? = nil, recoveryCodes: [String] = [], consents: [Consent] = [], isStaff: Bool = false,
        roles: [String] = []
    ) {
        self.username = username
        self.email = email
        self.passwordHash = passwordHash
        self.salt = salt
        self.active = active
        self.givenName = givenName
        self.familyName = familyName
        self.locale = locale
        self.totp = totp
        self.totpLabel = totpLabel
        self.recoveryCodes = recoveryCodes
        self.isStaff = isStaff
        self.roles = roles
        self.consents = consents
    }
}

/// The sample legacy identity platform: a small web app with its own SQLite
/// user store holding a mix of real legacy hash formats, TOTP enrollment,
/// recovery codes and consents; form login with a TOTP step, server-side
/// sessions in a `legacy_session` cookie, an account page, logout and a
/// password-reset flow (the token is printed to the log, as a mail stand-in).
/// An OAuth client registered with the legacy platform, allowed the
/// resource-owner password grant (as Auth0, Okta and Keycloak tenants allow it
/// per application).
public struct OAuthClient: Sendable {
    public var id: String
    public var secret: String
    public init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }
}

/// How the sign-in form behaves. The default is the bare form; real
/// applications protect it and answer failures their own way.
public struct SignInStyle: Sendable {
    /// `GET /login` sets a pre-login session cookie and puts a token tied to
    /// it in the form (Rails' `authenticity_token`, Django's `csrftoken`); a
    /// `POST /login` without both is refused with 422 before any password is
    /// looked at.
    public var csrf: Bool
    /// A wrong password is answered 303 back to `/login` with a flash cookie,
    /// as PHP and Rails applications do, instead of 401.
    public var failureRedirects: Bool
    /// The token endpoint's JSON goes out without a length, chunked, as a
    /// Spring application writing with Jackson answers.
    public var streamsJSON: Bool
    /// How long a sign-in takes to answer, as on a busy server verifying a
    /// costly hash. Like such a server, it finishes (signs in, counts the
    /// failure) even when the caller has gone away meanwhile.
    public var answersAfter: Duration

    public init(
        csrf: Bool = false, failureRedirects: Bool = false, streamsJSON: Bool = false, answersAfter: Duration = .zero
    ) {
        self.csrf = csrf
        self.failureRedirects = failureRedirects
        self.streamsJSON = streamsJSON
        self.answersAfter = answersAfter
    }
}

public final class LegacyPlatform: Sendable {
    public let database: DatabaseQueue
    /// Clients allowed `POST /oauth/token` with `grant_type=password`.
    public let oauthClients: [OAuthClient]
    public let signIn: SignInStyle
    /// Signs the forms' CSRF tokens; new at each start, as a dev server's is.
    private let formKey = secureRandomBytes(32)
    /// Management API tokens issued (by hash) and when each expires.
    let managementTokens = Mutex<[String: Date]>([:])
    public let sessionLifetime: TimeInterval
    let clock: @Sendable () -> Date
    let logger: Logger
    /// Bare salted SHA-1 rows carry their salt in a column: salt + password.
    let passwords = PasswordChecker(
        catalog: HashCatalog(configured: ConfiguredDigestFormat(digest: .sha1, salt: .prefix)))

    public init(
        path: String, sessionLifetime: TimeInterval = 3600, clock: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "legacy-platform"), oauthClients: [OAuthClient] = [],
        signIn: SignInStyle = SignInStyle()
    ) throws {
        database = try PlatformDatabase.open(path: path, migrator: Self.migrator)
        self.oauthClients = oauthClients
        self.signIn = signIn
        self.sessionLifetime = sessionLifetime
        self.clock = clock
        self.logger = logger
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        password_hash TEXT NOT NULL,
                        salt TEXT,
                        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
                        given_name TEXT NOT NULL DEFAULT '',
                        family_name TEXT NOT NULL DEFAULT '',
                        locale TEXT NOT NULL DEFAULT 'en',
                        failed_logins INTEGER NOT NULL DEFAULT 0,
                        created_at REAL NOT NULL,
                        last_login_at REAL
                    );
                    CREATE TABLE totp (
                        user_id INTEGER PRIMARY KEY REFERENCES users(id),
                        secret TEXT NOT NULL,
                        digits INTEGER NOT NULL DEFAULT 6,
                        period INTEGER NOT NULL DEFAULT 30,
                        algorithm TEXT NOT NULL DEFAULT 'SHA1'
                    );
                    CREATE TABLE recovery_codes (
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        code_sha256 TEXT NOT NULL,
                        used INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE consents (
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        purpose TEXT NOT NULL,
                        client TEXT NOT NULL,
                        version TEXT NOT NULL,
                        granted INTEGER NOT NULL,
                        granted_at REAL NOT NULL
                    );
                    CREATE TABLE sessions (
                        id_sha256 TEXT PRIMARY KEY,
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        kind TEXT NOT NULL CHECK (kind IN ('session', 'mfa_pending')),
                        expires_at REAL NOT NULL
                    );
                    CREATE TABLE reset_tokens (
                        token_sha256 TEXT PRIMARY KEY,
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        expires_at REAL NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2: TOTP replay protection") { db in
            try db.execute(sql: "ALTER TABLE totp ADD COLUMN last_used_step INTEGER")
        }
        migrator.registerMigration("v3: authenticator labels") { db in
            try db.execute(sql: "ALTER TABLE totp ADD COLUMN label TEXT")
        }
        migrator.registerMigration("v4: staff and roles") { db in
            try db.execute(
                sql: """
                    ALTER TABLE users ADD COLUMN is_staff BOOLEAN NOT NULL DEFAULT 0;
                    CREATE TABLE user_roles (user_id INTEGER NOT NULL REFERENCES users(id), role TEXT NOT NULL);
                    """)
        }
        // As Django's auth_user: "Ada" and "ada" are two usernames, so two
        // people; an email address still matches whatever its case.
        migrator.registerMigration("v5: case-sensitive usernames") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users_v5 (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        username TEXT NOT NULL UNIQUE,
                        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        password_hash TEXT NOT NULL,
                        salt TEXT,
                        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
                        given_name TEXT NOT NULL DEFAULT '',
                        family_name TEXT NOT NULL DEFAULT '',
                        locale TEXT NOT NULL DEFAULT 'en',
                        failed_logins INTEGER NOT NULL DEFAULT 0,
                        created_at REAL NOT NULL,
                        last_login_at REAL,
                        is_staff BOOLEAN NOT NULL DEFAULT 0
                    );
                    INSERT INTO users_v5 SELECT id, username, email, password_hash, salt, status, given_name,
                        family_name, locale, failed_logins, created_at, last_login_at, is_staff FROM users;
                    DROP TABLE users;
                    ALTER TABLE users_v5 RENAME TO users;
                    """)
        }
        // django-otp's TOTPDevice.drift: how many steps this device's clock is
        // off, learned from the codes it sent.
        migrator.registerMigration("v6: authenticator clock drift") { db in
            try db.execute(sql: "ALTER TABLE totp ADD COLUMN drift INTEGER NOT NULL DEFAULT 0")
        }
        return migrator
    }

    @discardableResult
    public func addUser(_ user: LegacyUser) throws -> Int64 {
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO users (username, email, password_hash, salt, status, given_name, family_name, locale,
                        created_at, is_staff)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    user.username, user.email, user.passwordHash, user.salt, user.active ? "active" : "disabled",
                    user.givenName, user.familyName, user.locale, clock().timeIntervalSince1970, user.isStaff,
                ])
            let id = db.lastInsertedRowID
            for role in user.roles {
                try db.execute(sql: "INSERT INTO user_roles (user_id, role) VALUES (?, ?)", arguments: [id, role])
            }
            if let totp = user.totp {
                try db.execute(
                    sql:
                        "INSERT INTO totp (user_id, secret, digits, period, algorithm, label) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [
                        id, Base32.encode(totp.secret), totp.digits, totp.period, totp.algorithm.rawValue.uppercased(),
                        user.totpLabel,
                    ])
            }
            for code in user.recoveryCodes {
                try db.execute(
                    sql: "INSERT INTO recovery_codes (user_id, code_sha256) VALUES (?, ?)",
                    arguments: [id, WebForms.tokenHash(code)])
            }
            for consent in user.consents {
                try db.execute(
                    sql:
                        "INSERT INTO consents (user_id, purpose, client, version, granted, granted_at) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [
                        id, consent.purpose, consent.client, consent.version, consent.granted,
                        consent.grantedAt.timeIntervalSince1970,
                    ])
            }
            return id
        }
    }

    /// The stored hash of a user, for showing which legacy scheme it uses.
    public func passwordHash(of username: String) throws -> String? {
        try database.read { db in
            try String.fetchOne(db, sql: "SELECT password_hash FROM users WHERE username = ?", arguments: [username])
        }
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/login") { request, _ in self.signInForm(request) }
        router.post("/login") { request, _ in try await self.login(request) }
        router.post("/login/mfa") { request, _ in try await self.secondFactor(request) }
        router.post("/oauth/token") { request, _ in try await self.tokenEndpoint(request) }
        managementRoutes(router)
        router.get("/account") { request, _ in try await self.account(request) }
        router.post("/logout") { request, _ in try await self.logout(request) }
        router.post("/password/reset") { request, _ in try await self.requestReset(request) }
        router.post("/password/reset/confirm") { request, _ in try await self.confirmReset(request) }
        return router
    }

    // MARK: Login

    private func signInForm(_ request: Request) -> Response {
        var cookies: [String] = []
        var hidden = ""
        if signIn.csrf {
            let prelogin = WebForms.cookie("legacy_prelogin", in: request) ?? WebForms.randomToken()
            cookies.append("legacy_prelogin=\(prelogin); Path=/; HttpOnly; SameSite=Lax")
            hidden = #"<input type="hidden" name="authenticity_token" value="\#(formToken(prelogin))">"#
        }
        var flash = ""
        if WebForms.cookie("legacy_flash", in: request) == "bad_credentials" {
            flash = "<p>Wrong username or password.</p>"
            cookies.append("legacy_flash=; Path=/; Max-Age=0")
        }
        return WebForms.page(
            .ok, title: "Legacy login",
            body: flash
                + #"<form method="post" action="/login">\#(hidden)<input name="username"><input name="password" type="password"><button>Log in</button></form>"#,
            cookies: cookies)
    }

    /// The form token for a pre-login session: an HMAC, so nothing is stored.
    private func formToken(_ prelogin: String) -> String {
        Hex.encode(DigestAlgorithm.sha256.hmac(key: formKey, Array(prelogin.utf8)))
    }

    private func login(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 16 << 10)
        let fields = WebForms.fields(of: request, body: body)
        if signIn.answersAfter > .zero {
            // Its own task: a caller hanging up does not cut the work short.
            let delay = signIn.answersAfter
            await Task { try? await Task.sleep(for: delay) }.value
        }
        // A customer already signed in is sent to their account whatever the
        // form says, as Devise's `require_no_authentication` does.
        if let current = WebForms.cookie("legacy_session", in: request), try await session(current) != nil {
            return WebForms.page(
                .seeOther, title: "Already signed in", body: #"<p><a href="/account">Your account</a></p>"#,
                location: "/account")
        }
        if signIn.csrf {
            guard let prelogin = WebForms.cookie("legacy_prelogin", in: request),
                WebForms.constantTimeEqual(formToken(prelogin), fields["authenticity_token"] ?? "")
            else {
                return WebForms.page(
                    .unprocessableContent, title: "Session expired", body: "<p>Reload the page and try again.</p>")
            }
        }
        let identifier = (fields["username"] ?? "").trimmingCharacters(in: .whitespaces)
        let password = fields["password"] ?? ""
        let found = try await database.read { db -> (id: Int64, hash: String, salt: String?, status: String)? in
            try Row.fetchOne(
                db, sql: "SELECT id, password_hash, salt, status FROM users WHERE username = ? OR email = ?",
                arguments: [identifier, identifier]
            ).map { ($0["id"], $0["password_hash"], $0["salt"], $0["status"]) }
        }
        guard let found else { return failedSignIn() }
        let id = found.id
        guard let verified = await check(password, hash: found.hash, salt: found.salt) else {
            return PasswordChecker.busy
        }
        guard verified else {
            try await database.write { db in
                try db.execute(sql: "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?", arguments: [id])
            }
            return failedSignIn()
        }
        guard found.status == "active" else {
            return WebForms.page(.forbidden, title: "Account disabled", body: "<p>This account is disabled.</p>")
        }
        let hasTOTP = try await database.read { db in
            try Bool.fetchOne(db, sql: "SELECT COUNT(*) > 0 FROM totp WHERE user_id = ?", arguments: [id]) ?? false
        }
        if hasTOTP {
            let pending = try await startSession(user: id, kind: "mfa_pending", lifetime: 300)
            return WebForms.page(
                .ok, title: "Enter your code",
                body:
                    #"<form method="post" action="/login/mfa"><input name="code" autocomplete="one-time-code"><button>Verify</button></form>"#,
                cookies: ["legacy_mfa=\(pending); Path=/; HttpOnly; SameSite=Lax; Max-Age=300"])
        }
        return try await completeLogin(user: id)
    }

    /// The platform's own proprietary format, `$vault$` and an HMAC-SHA-256
    /// under a key only the platform holds: no export or description gives
    /// Ferry what it needs, so these users can migrate only by the platform's
    /// answer.
    public static func vaultHash(_ password: String) -> String {
        "$vault$" + Hex.encode(DigestAlgorithm.sha256.hmac(key: vaultKey, Array(password.utf8)))
    }

    private static let vaultKey = Array("sample-legacy-platform-vault-key".utf8)

    /// nil when the hash workers are all busy.
    private func check(_ password: String, hash: String, salt: String?) async -> Bool? {
        if hash.hasPrefix("$vault$") {
            return constantTimeEquals(Array(Self.vaultHash(password).utf8), Array(hash.utf8))
        }
        return await passwords.verify(password: password, hash: hash, salt: salt)?.isMatch
    }

    /// RFC 6749 §4.3, answered as Auth0 answers it: 403 `invalid_grant` for a
    /// wrong password or an unknown user (and the failure counted), 401
    /// `unauthorized` for a blocked user, 403 `mfa_required` when a second
    /// factor is due (the password was right), 401 `invalid_client` for a
    /// client it does not know, and a bearer token otherwise.
    /// `grant_type=password` for customers, `client_credentials` for the
    /// Management API (as Auth0's token endpoint serves both).
    private func tokenEndpoint(_ request: Request) async throws -> Response {
        var response = try await tokenAnswer(request)
        if signIn.streamsJSON {
            let whole = response.body
            response.body = ResponseBody { writer in try await whole.write(writer) }
        }
        return response
    }

    private func tokenAnswer(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 16 << 10)
        let fields = WebForms.fields(of: request, body: body)
        guard let client = oauthClients.first(where: { $0.id == fields["client_id"] }),
            WebForms.constantTimeEqual(client.secret, fields["client_secret"] ?? "")
        else {
            return WebForms.json(.unauthorized, ["error": "invalid_client", "error_description": "Unknown client."])
        }
        switch fields["grant_type"] {
        case "password": return try await passwordGrant(fields)
        case "client_credentials": return managementToken(audience: fields["audience"])
        case Self.mfaOTPGrant: return try await mfaOTP(fields)
        default: return WebForms.json(.badRequest, ["error": "unsupported_grant_type"])
        }
    }

    private func passwordGrant(_ fields: [String: String]) async throws -> Response {
        let identifier = (fields["username"] ?? "").trimmingCharacters(in: .whitespaces)
        let password = fields["password"] ?? ""
        let wrong = WebForms.json(
            .forbidden, ["error": "invalid_grant", "error_description": "Wrong email or password."])
        let found = try await database.read { db -> (id: Int64, hash: String, salt: String?, status: String)? in
            try Row.fetchOne(
                db, sql: "SELECT id, password_hash, salt, status FROM users WHERE username = ? OR email = ?",
                arguments: [identifier, identifier]
            ).map { ($0["id"], $0["password_hash"], $0["salt"], $0["status"]) }
        }
        guard let found else { return wrong }
        guard let verified = await check(password, hash: found.hash, salt: found.salt) else {
            return PasswordChecker.busy
        }
        guard verified else {
            try await database.write { db in
                try db.execute(
                    sql: "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?", arguments: [found.id])
            }
            return wrong
        }
        guard found.status == "active" else {
            return WebForms.json(.unauthorized, ["error": "unauthorized", "error_description": "user is blocked"])
        }
        let hasTOTP = try await database.read { db in
            try Bool.fetchOne(db, sql: "SELECT COUNT(*) > 0 FROM totp WHERE user_id = ?", arguments: [found.id])
                ?? false
        }
        if hasTOTP {
            // Finished at this same endpoint with the MFA OTP grant.
            let pending = try await startSession(user: found.id, kind: "mfa_pending", lifetime: 300)
            return WebForms.json(
                .forbidden,
                [
                    "error": "mfa_required", "error_description": "Multifactor authentication required",
                    "mfa_token": pending,
                ])
        }
        return WebForms.json(
            .ok, ["access_token": WebForms.randomToken(), "token_type": "Bearer", "expires_in": Int(sessionLifetime)])
    }

    private func secondFactor(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 16 << 10)
        let code = WebForms.fields(of: request, body: body)["code"] ?? ""
        guard let pending = WebForms.cookie("legacy_mfa", in: request),
            let user = try await session(pending, kind: "mfa_pending")
        else {
            return WebForms.page(.unauthorized, title: "Login expired", body: "<p>Please log in again.</p>")
        }
        let accepted = try await acceptCode(code, user: user)
        guard accepted else {
            return WebForms.page(.unauthorized, title: "Wrong code", body: "<p>That code is not valid.</p>")
        }
        try await endSession(pending)
        var response = try await completeLogin(user: user)
        response.headers.append(HTTPField(name: .setCookie, value: "legacy_mfa=; Path=/; Max-Age=0"))
        return response
    }

    /// A TOTP code (each time step once, with the drift kept) or an unused
    /// recovery code of `user`.
    private func acceptCode(_ code: String, user: Int64) async throws -> Bool {
        let now = clock()
        return try await database.write { db -> Bool in
            if let row = try Row.fetchOne(
                db, sql: "SELECT secret, digits, period, algorithm, last_used_step, drift FROM totp WHERE user_id = ?",
                arguments: [user]),
                let totp = TOTP(
                    base32Secret: row["secret"], digits: row["digits"], period: row["period"],
                    algorithm: row["algorithm"]),
                let step = totp.acceptedStep(code, at: now, drift: row["drift"], after: row["last_used_step"])
            {
                try db.execute(
                    sql: "UPDATE totp SET last_used_step = ?, drift = ? WHERE user_id = ?",
                    arguments: [step, step - totp.step(at: now), user])
                return true
            }
            // A recovery code works once.
            try db.execute(
                sql: "UPDATE recovery_codes SET used = 1 WHERE user_id = ? AND code_sha256 = ? AND used = 0",
                arguments: [user, WebForms.tokenHash(code.trimmingCharacters(in: .whitespaces))])
            return db.changesCount == 1
        }
    }

    /// Auth0's MFA OTP grant: the `mfa_token` the password grant answered,
    /// and a code.
    public static let mfaOTPGrant = "http://auth0.com/oauth/grant-type/mfa-otp"

    private func mfaOTP(_ fields: [String: String]) async throws -> Response {
        guard let user = try await session(fields["mfa_token"] ?? "", kind: "mfa_pending") else {
            return WebForms.json(.forbidden, ["error": "expired_token", "error_description": "mfa_token is expired"])
        }
        guard try await acceptCode(fields["otp"] ?? "", user: user) else {
            return WebForms.json(.forbidden, ["error": "invalid_grant", "error_description": "Invalid otp_code."])
        }
        try await endSession(fields["mfa_token"] ?? "")
        return WebForms.json(
            .ok, ["access_token": WebForms.randomToken(), "token_type": "Bearer", "expires_in": Int(sessionLifetime)])
    }

    private func completeLogin(user: Int64) async throws -> Response {
        let session = try await startSession(user: user, kind: "session", lifetime: sessionLifetime)
        let now = clock().timeIntervalSince1970
        try await database.write { db in
            try db.execute(
                sql: "UPDATE users SET failed_logins = 0, last_login_at = ? WHERE id = ?",
                arguments: [now, user])
        }
        return WebForms.page(
            .seeOther, title: "Logged in", body: #"<p><a href="/account">Your account</a></p>"#,
            cookies: ["legacy_session=\(session); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(Int(sessionLifetime))"],
            location: "/account")
    }

    private func failedSignIn() -> Response {
        guard signIn.failureRedirects else { return Self.invalidCredentials() }
        return WebForms.page(
            .seeOther, title: "Login failed", body: #"<p><a href="/login">Try again</a></p>"#,
            cookies: ["legacy_flash=bad_credentials; Path=/; HttpOnly; Max-Age=60"], location: "/login?error=1")
    }

    static func invalidCredentials() -> Response {
        WebForms.page(.unauthorized, title: "Login failed", body: "<p>Wrong username or password.</p>")
    }

    // MARK: Sessions and account

    private func startSession(user: Int64, kind: String, lifetime: TimeInterval) async throws -> String {
        let token = WebForms.randomToken()
        let expiresAt = clock().timeIntervalSince1970 + lifetime
        try await database.write { db in
            try db.execute(
                sql: "INSERT INTO sessions (id_sha256, user_id, kind, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [WebForms.tokenHash(token), user, kind, expiresAt])
        }
        return token
    }

    /// The user of a live session of `kind`, or nil when unknown or expired.
    func session(_ token: String, kind: String = "session") async throws -> Int64? {
        let now = clock().timeIntervalSince1970
        return try await database.read { db in
            try Int64.fetchOne(
                db, sql: "SELECT user_id FROM sessions WHERE id_sha256 = ? AND kind = ? AND expires_at > ?",
                arguments: [WebForms.tokenHash(token), kind, now])
        }
    }

    private func endSession(_ token: String) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE id_sha256 = ?", arguments: [WebForms.tokenHash(token)])
        }
    }

    private func account(_ request: Request) async throws -> Response {
        guard let token = WebForms.cookie("legacy_session", in: request), let user = try await session(token),
            let (username, email) = try await database.read({ db -> (String, String)? in
                try Row.fetchOne(db, sql: "SELECT username, email FROM users WHERE id = ?", arguments: [user])
                    .map { ($0["username"], $0["email"]) }
            })
        else {
            return WebForms.page(.unauthorized, title: "Not logged in", body: #"<p><a href="/login">Log in</a></p>"#)
        }
        return WebForms.page(
            .ok, title: "Legacy account",
            body:
                "<p>Logged in to the legacy platform as <b id=\"username\">\(WebForms.escape(username))</b> (\(WebForms.escape(email))).</p>"
        )
    }

    private func logout(_ request: Request) async throws -> Response {
        if let token = WebForms.cookie("legacy_session", in: request) { try await endSession(token) }
        return WebForms.page(
            .ok, title: "Logged out", body: "<p>Bye.</p>", cookies: ["legacy_session=; Path=/; Max-Age=0"])
    }

    // MARK: Password reset

    private func requestReset(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 16 << 10)
        let identifier = (WebForms.fields(of: request, body: body)["username"] ?? "").trimmingCharacters(
            in: .whitespaces)
        if let user = try await database.read({ db in
            try Int64.fetchOne(
                db, sql: "SELECT id FROM users WHERE username = ? OR email = ?", arguments: [identifier, identifier])
        }) {
            let token = WebForms.randomToken()
            try await database.write { db in
                try db.execute(
                    sql: "INSERT INTO reset_tokens (token_sha256, user_id, expires_at) VALUES (?, ?, ?)",
                    arguments: [WebForms.tokenHash(token), user, clock().timeIntervalSince1970 + 3600])
            }
            // Stands in for the e-mail a real platform would send.
            logger.notice("password reset requested", metadata: ["user_id": "\(user)", "reset_token": "\(token)"])
        }
        // The same answer either way, so the form does not reveal who has an account.
        return WebForms.page(
            .ok, title: "Check your mail", body: "<p>If the account exists, a reset link is on its way.</p>")
    }

    private func confirmReset(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 16 << 10)
        let fields = WebForms.fields(of: request, body: body)
        let token = fields["token"] ?? ""
        let password = fields["password"] ?? ""
        guard password.count >= 8 else {
            return WebForms.page(.badRequest, title: "Password too short", body: "<p>Use at least 8 characters.</p>")
        }
        guard let hash = LegacyHashWriter.sha512Crypt(password) else {
            return WebForms.page(.internalServerError, title: "Error", body: "<p>Could not store the password.</p>")
        }
        let updated = try await database.write { db -> Bool in
            guard
                let user = try Int64.fetchOne(
                    db, sql: "SELECT user_id FROM reset_tokens WHERE token_sha256 = ? AND expires_at > ?",
                    arguments: [WebForms.tokenHash(token), clock().timeIntervalSince1970])
            else { return false }
            try db.execute(
                sql: "UPDATE users SET password_hash = ?, salt = NULL WHERE id = ?", arguments: [hash, user])
            try db.execute(sql: "DELETE FROM reset_tokens WHERE user_id = ?", arguments: [user])
            try db.execute(sql: "DELETE FROM sessions WHERE user_id = ?", arguments: [user])
            return true
        }
        guard updated else {
            return WebForms.page(.badRequest, title: "Link expired", body: "<p>Request a new reset link.</p>")
        }
        return WebForms.page(.ok, title: "Password changed", body: #"<p><a href="/login">Log in</a></p>"#)
    }
}
