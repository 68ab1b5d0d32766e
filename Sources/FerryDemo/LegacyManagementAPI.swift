import Foundation
import GRDB
import HTTPTypes
import Hummingbird

/// The sample legacy platform's admin API, in the shape of Auth0's Management
/// API v2: users by email or by page, a user's roles and enrolled
/// authentication methods (never their secrets), a bearer token from the
/// client-credentials grant for the Management API's audience.
extension LegacyPlatform {
    public static let managementAudience = "https://legacy.example/api/v2/"

    func managementRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/api/v2/users-by-email") { request, _ in
            try await self.authorized(request) {
                let email = request.uri.queryParameters["email"].map(String.init) ?? ""
                return try await self.managedUsers("WHERE lower(email) = lower(?)", [email])
            }
        }
        router.get("/api/v2/users") { request, _ in
            try await self.authorized(request) {
                let page = request.uri.queryParameters["page"].flatMap { Int(String($0)) } ?? 0
                let size = min(100, request.uri.queryParameters["per_page"].flatMap { Int(String($0)) } ?? 50)
                return try await self.managedUsers("ORDER BY id LIMIT ? OFFSET ?", [size, page * size])
            }
        }
        router.get("/api/v2/users/:id/roles") { request, context in
            try await self.authorized(request) {
                guard let id = Self.managedID(context.parameters.get("id")) else { return Self.notFound }
                let roles = try await self.database.read { db in
                    try String.fetchAll(
                        db, sql: "SELECT role FROM user_roles WHERE user_id = ? ORDER BY rowid", arguments: [id])
                }
                return WebForms.json(.ok, roles.map { ["id": "rol_\($0)", "name": $0, "description": ""] })
            }
        }
        router.get("/api/v2/users/:id/authentication-methods") { request, context in
            try await self.authorized(request) {
                guard let id = Self.managedID(context.parameters.get("id")) else { return Self.notFound }
                let (labels, recoveryCodes) = try self.database.read { db in
                    (
                        try Row.fetchAll(db, sql: "SELECT label FROM totp WHERE user_id = ?", arguments: [id]),
                        try Int.fetchOne(
                            db, sql: "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used = 0",
                            arguments: [id]) ?? 0
                    )
                }
                // As Auth0 lists them: the password too (a primary method),
                // each authenticator, and the recovery code once.
                var methods: [[String: Any]] = [
                    ["id": "password|dev_\(id)", "type": "password", "confirmed": true, "usage": ["primary"]]
                ]
                for row in labels {
                    methods.append([
                        "id": "totp|dev_\(id)", "type": "totp", "confirmed": true, "usage": ["secondary"],
                        "name": (row["label"] as String?) ?? "",
                    ])
                }
                if recoveryCodes > 0 {
                    methods.append([
                        "id": "recovery-code|dev_\(id)", "type": "recovery-code", "confirmed": true,
                        "usage": ["secondary"],
                    ])
                }
                return WebForms.json(.ok, methods)
            }
        }
    }

    /// A token for the Management API's audience, valid for a day.
    func managementToken(audience: String?) -> Response {
        guard audience == Self.managementAudience else {
            return WebForms.json(
                .forbidden, ["error": "access_denied", "error_description": "Service not enabled within domain"])
        }
        let token = WebForms.randomToken()
        managementTokens.withLock { $0[WebForms.tokenHash(token)] = clock().addingTimeInterval(86400) }
        return WebForms.json(.ok, ["access_token": token, "token_type": "Bearer", "expires_in": 86400])
    }

    private func authorized(_ request: Request, _ answer: () async throws -> Response) async throws -> Response {
        let header = request.headers[.authorization] ?? ""
        let now = clock()
        guard header.hasPrefix("Bearer "),
            let until = managementTokens.withLock({ $0[WebForms.tokenHash(String(header.dropFirst(7)))] }), until > now
        else {
            return WebForms.json(
                .unauthorized, ["statusCode": 401, "error": "Unauthorized", "message": "Invalid token"])
        }
        return try await answer()
    }

    static var notFound: Response {
        WebForms.json(
            .notFound, ["statusCode": 404, "error": "Not Found", "message": "The user does not exist."])
    }

    /// `auth0|7` (percent-encoded in the path or not) as the row id 7.
    static func managedID(_ parameter: String?) -> Int64? {
        guard let text = parameter?.removingPercentEncoding, text.hasPrefix("auth0|") else { return nil }
        return Int64(text.dropFirst("auth0|".count))
    }

    /// Users as Auth0 answers them: `user_id`, profile, `blocked`, consents in
    /// `user_metadata`, the staff flag in `app_metadata`.
    private func managedUsers(_ clause: String, _ arguments: StatementArguments) async throws -> Response {
        let body = try await database.read { db -> Data in
            let users = try Row.fetchAll(
                db,
                sql:
                    "SELECT id, username, email, given_name, family_name, locale, status, created_at, last_login_at, is_staff FROM users \(clause)",
                arguments: arguments
            ).map { row -> [String: Any] in
                let id: Int64 = row["id"]
                let consents = try Row.fetchAll(
                    db, sql: "SELECT purpose, client, version, granted, granted_at FROM consents WHERE user_id = ?",
                    arguments: [id]
                ).map { consent -> [String: Any] in
                    [
                        "purpose": consent["purpose"] as String, "client": consent["client"] as String,
                        "version": consent["version"] as String, "granted": consent["granted"] as Bool,
                        "granted_at": Self.iso(consent["granted_at"]) ?? "",
                    ]
                }
                return [
                    "user_id": "auth0|\(id)", "username": row["username"] as String, "email": row["email"] as String,
                    "email_verified": true, "given_name": row["given_name"] as String,
                    "family_name": row["family_name"] as String, "locale": row["locale"] as String,
                    "blocked": (row["status"] as String) != "active",
                    "created_at": Self.iso(row["created_at"]) ?? "",
                    "last_login": Self.iso(row["last_login_at"]) ?? NSNull(),
                    "user_metadata": ["consents": consents], "app_metadata": ["is_staff": row["is_staff"] as Bool],
                ]
            }
            return try JSONSerialization.data(withJSONObject: users, options: [.sortedKeys, .withoutEscapingSlashes])
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private static func iso(_ seconds: Double?) -> String? {
        guard let seconds else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}
