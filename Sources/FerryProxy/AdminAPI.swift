import FerryConfig
import FerryMigration
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PasswordHashes

/// The admin listener: `/healthz` and `/metrics` open; every `/admin/*` call
/// needs the bearer token from config (re-read on reload).
struct AdminAPI {
    let runtimes: RuntimeStore
    let metrics: ProxyMetrics
    let reloader: ConfigReloader
    let startedAt: Date

    func router() -> Router<AdminRequestContext> {
        let router = Router(context: AdminRequestContext.self)
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/metrics") { _, _ in
            if let drain = await runtimes.runtime.migration.sessionDrain() {
                metrics.legacyDrain(
                    sessions: drain.sessionsAlive, tokens: drain.tokensAlive,
                    users: drain.usersWithSessions + drain.usersWithTokens,
                    lastExpiry: [drain.lastSessionExpiry, drain.lastTokenExpiry].compactMap { $0 }.max())
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("/admin/status") { request, _ in
            if let refusal = authorize(request) { return refusal }
            return json(.ok, await status())
        }
        // Aggregates only, like /metrics: open on the admin listener so a
        // browser can show it without a bearer token.
        router.get("/status") { _, _ in
            let runtime = runtimes.runtime
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            do {
                let report = try await runtime.migration.servedStatusReport(config: runtime.config)
                return Response(
                    status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: StatusPage.html(report))))
            } catch {
                return Response(
                    status: .serviceUnavailable, headers: headers,
                    body: .init(
                        byteBuffer: ByteBuffer(string: "<p>status unavailable: \(StatusPage.escape("\(error)"))</p>\n"))
                )
            }
        }
        router.post("/admin/reload") { request, context in
            if let refusal = authorize(request) { return refusal }
            let caller = context.remoteAddress?.ipAddress ?? "unknown"
            let record = await reloader.reload(.admin(caller: caller))
            return json(record.outcome == .rejected ? .unprocessableContent : .ok, record.json)
        }
        return router
    }

    private func status() async -> [String: Any] {
        let runtime = runtimes.runtime
        let config = runtime.config
        let migration: Any
        do {
            let data = try await runtime.migration.servedStatusReport(config: config).json()
            migration = try JSONSerialization.jsonObject(with: data)
        } catch {
            migration = ["error": "\(error)"]
        }
        return [
            "migration": migration,
            "generation": runtime.generation,
            "started_at": ISO8601DateFormatter().string(from: startedAt),
            "config_file": reloader.path,
            "listen": config.server.listen.description,
            "migration_mode": config.migration.mode.rawValue,
            "upstreams": config.upstreams.keys.sorted(),
            "routes": config.routes.map(\.name),
            "reloads": await reloader.history.suffix(20).map(\.json),
        ]
    }

    /// nil when the call carries the configured token.
    private func authorize(_ request: Request) -> Response? {
        guard let token = runtimes.runtime.config.admin.token?.value else {
            return json(.forbidden, ["error": "admin token not configured; set admin.token_file or admin.token_env"])
        }
        let presented = request.headers[.authorization].flatMap { value -> String? in
            value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)) : nil
        }
        guard let presented, constantTimeEquals(Array(presented.utf8), Array(token.utf8)) else {
            var response = json(.unauthorized, ["error": "missing or wrong bearer token"])
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return nil
    }

    private func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data + Data("\n".utf8))))
    }
}

/// Request context of the admin listener: the caller's address is recorded
/// with each reload it asks for.
struct AdminRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
