import FerryConfig
import FerryStore
import Foundation
import GRDB
import Logging
import PasswordHashes

/// A session cookie or bearer token a request carries, as the platform sees it.
/// Holds the raw value: only its hash ever leaves this type.
public struct SessionCredential: Sendable {
    public var kind: ObservedSession.Kind
    /// Cookie name, or "bearer".
    public var name: String
    let value: String

    public init(kind: ObservedSession.Kind, name: String, value: String) {
        self.kind = kind
        self.name = name
        self.value = value
    }

    /// Hex SHA-256 of the raw value: the only form Ferry keeps.
    public var idHash: String { Hex.encode(DigestAlgorithm.sha256.digest(Array(value.utf8))) }
}

/// What Ferry knows about a legacy session a request carries.
public enum SessionVerdict: Equatable, Sendable {
    /// Valid: the request keeps going to legacy.
    case alive
    /// Expired, logged out or revoked: it no longer decides the route.
    case ended
    /// Issued before Ferry watched and no session store to ask: legacy decides.
    case unknown
}

/// Records legacy sessions as they are issued and answers whether one is still
/// alive, from its recorded expiry or — when `sessions.store_query` is set —
/// from the legacy session store itself.
public final class LegacySessionTracker: Sendable {
    let settings: SessionSettings
    let store: (any StateStore)?
    /// Where `sessions.store_query` runs: a SQLite file opened read-only, or
    /// a database server read in read-only snapshots.
    enum SessionStore {
        case sqlite(DatabaseQueue)
        case postgres(ExternalPostgres)
        case mysql(ExternalMySQL)
    }
    let sessionStore: SessionStore?
    let tokenKeys: TokenKeys?
    /// Where `verdict(for:)` puts what it learns; the retrier writes it.
    public let observations: SessionObservations

    /// Where legacy's token-signing keys come from.
    enum TokenKeys {
        case file(LegacyTokenKeys)
        case url(LegacyTokenKeyFeed)

        func keys(for token: String) -> LegacyTokenKeys? {
            switch self {
            case .file(let keys): return keys
            case .url(let feed): return feed.keys(for: token)
            }
        }
    }
    let clock: @Sendable () -> Date
    let logger: Logger

    public init(
        config: ProxyConfig, store: (any StateStore)?, observations: SessionObservations = SessionObservations(),
        logger: Logger, clock: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        settings = config.sessions
        self.store = store
        self.observations = observations
        self.clock = clock
        self.logger = logger
        switch config.sessions.storeQuery.flatMap({ _ in config.sessions.storeDatabase ?? config.legacy?.sqlDatabase })
        {
        case .sqlite(let path):
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(2)
            guard FileManager.default.fileExists(atPath: path) else {
                throw LegacySourceError.unavailable("session store \(path) does not exist")
            }
            sessionStore = .sqlite(try DatabaseQueue(path: path, configuration: configuration))
        case .postgres(let location):
            sessionStore = .postgres(try ExternalPostgres(location: location, timeout: .seconds(2), logger: logger))
        case .mysql(let location):
            sessionStore = .mysql(ExternalMySQL(location: location, timeout: .seconds(2), logger: logger))
        case nil:
            sessionStore = nil
        }
        if let path = config.sessions.jwksFile {
            do {
                tokenKeys = .file(try LegacyTokenKeys(jwks: try Data(contentsOf: URL(fileURLWithPath: path))))
            } catch let error as LegacyTokenKeysError {
                throw LegacySourceError.unavailable("sessions.jwks_file \(path) \(error.message)")
            } catch {
                throw LegacySourceError.unavailable("sessions.jwks_file \(path) cannot be read")
            }
        } else if let url = config.sessions.jwksURL {
            let feed = LegacyTokenKeyFeed(url: url, refresh: config.sessions.jwksRefresh, logger: logger, clock: clock)
            tokenKeys = .url(feed)
            // Read the keys now, so that the first token seen is judged with them.
            _ = feed.keys(for: "")
        } else {
            tokenKeys = nil
        }
    }

    /// The time by the tracker's clock (Set-Cookie `Max-Age` counts from it).
    public var now: Date { clock() }

    /// Whether `credential` still belongs to a live legacy session. Errors
    /// answer `.unknown`, which leaves the request with legacy.
    ///
    /// Never writes: what it learns is held in `observations` until the
    /// retrier's loop writes it.
    ///
    /// Only sessions legacy is known to have issued are ever written: those
    /// seen being set through Ferry, those the legacy session store confirms,
    /// and JWTs whose signature verifies with `sessions.jwks_file` or `jwks_url`. A value
    /// never seen before is `.unknown` and leaves no trace, so forged cookies
    /// and tokens can neither grow the store nor hold the drain report open.
    public func verdict(for credential: SessionCredential) async -> SessionVerdict {
        guard settings.track || sessionStore != nil, let store else { return .unknown }
        let now = clock()
        do {
            var known = observations.held(idHash: credential.idHash)
            if known == nil { known = try await store.legacySession(idHash: credential.idHash) }
            if let answer = try await askSessionStore(credential) {
                let alive = answer.expiresAt.map { $0 > now } ?? false
                guard known != nil || alive else { return .ended }
                let current = ObservedSession(
                    idHash: credential.idHash, kind: credential.kind, name: credential.name,
                    identifier: known?.identifier ?? answer.user.map { "legacy:\($0)" },
                    issuedAt: known?.issuedAt ?? now, expiresAt: answer.expiresAt ?? known?.expiresAt,
                    endedAt: alive ? nil : (known?.endedAt ?? now), expirySource: "session_store")
                // Every pinned request asks; only a changed answer is kept.
                if current != known { observations.add(current) }
                return alive ? .alive : .ended
            }
            if let known { return known.isAlive(at: now) ? .alive : .ended }
            // First sight of a token issued before Ferry watched: counted only
            // when legacy's key signed it, and then it says when it ends.
            guard credential.kind == .token, let keys = tokenKeys?.keys(for: credential.value),
                keys.verifies(credential.value),
                let expiry = JWTClaims.expiry(of: credential.value, now: now)
            else { return .unknown }
            if expiry <= now { return .ended }
            observations.add(
                ObservedSession(
                    idHash: credential.idHash, kind: credential.kind, name: credential.name, identifier: nil,
                    issuedAt: now, expiresAt: expiry, expirySource: "jwt"))
            return .alive
        } catch {
            logger.warning(
                "legacy session could not be checked; legacy decides",
                metadata: ["error": "\(databaseErrorSummary(error))"])
            return .unknown
        }
    }

    /// Legacy set a session cookie: record it (an expiry in the past, as on
    /// logout, ends it). `identifier` is the user when the response answered a
    /// login; otherwise the user of a session the request carried is inherited.
    public func issued(
        name: String, value: String, expiresAt: Date?, identifier: String?, carried: [SessionCredential]
    ) async {
        guard settings.track, let store else { return }
        let now = clock()
        let credential = SessionCredential(kind: .cookie, name: name, value: value)
        do {
            if value.isEmpty || (expiresAt.map { $0 <= now } ?? false) {
                // Cleared cookies end the sessions the request carried under that name.
                for old in carried where old.name == name {
                    try await store.endLegacySession(idHash: old.idHash, at: now)
                }
                return
            }
            var user = identifier
            if user == nil {
                for old in carried {
                    if let known = try await store.legacySession(idHash: old.idHash)?.identifier {
                        user = known
                        break
                    }
                }
            }
            try await store.recordLegacySession(
                ObservedSession(
                    idHash: credential.idHash, kind: .cookie, name: name, identifier: user, issuedAt: now,
                    expiresAt: expiresAt, expirySource: expiresAt == nil ? "unknown" : "set_cookie"))
        } catch {
            logger.warning("legacy session not recorded", metadata: ["error": "\(databaseErrorSummary(error))"])
        }
    }

    /// The session store's answer: nil when no store query is configured;
    /// `expiresAt` nil when it has no such session (revoked or expired).
    private func askSessionStore(_ credential: SessionCredential) async throws -> (expiresAt: Date?, user: String?)? {
        guard let sessionStore, let query = settings.storeQuery else { return nil }
        var arguments: [String: String] = [:]
        if query.contains(":session_id_sha256") { arguments["session_id_sha256"] = credential.idHash }
        if query.replacingOccurrences(of: ":session_id_sha256", with: "").contains(":session_id") {
            arguments["session_id"] = credential.value
        }
        let values = arguments
        let found: QueryRow?
        switch sessionStore {
        case .sqlite(let database):
            found = try await database.read { db in
                try Row.fetchOne(db, sql: query, arguments: StatementArguments(values)).map { QueryRow($0) }
            }
        case .postgres(let database):
            found = try await database.read { session in try await session.rows(query, values).first }
        case .mysql(let database):
            found = try await database.read { session in try await session.rows(query, values).first }
        }
        guard let row = found else { return (nil, nil) }
        return (try LegacyRows.date(row, "expires_at", of: "the session store's row"), LegacyRows.text(row, "user"))
    }
}

/// Reads claims of a JWT without verifying it: they only steer routing and
/// bookkeeping; the platform that receives the token verifies it.
public enum JWTClaims {
    public static func payload(of token: String) -> [String: Any]? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].utf8.count <= 8192 else { return nil }
        var payload = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.utf8.count % 4 != 0 { payload += "=" }
        guard let data = Data(base64Encoded: payload) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    /// The token's `exp`, when it is a number no further than ten years from
    /// `now`: a later one is not a session lifetime but a mistake or an attack.
    public static func expiry(of token: String, now: Date = Date()) -> Date? {
        guard let exp = payload(of: token)?["exp"] as? NSNumber else { return nil }
        let seconds = exp.doubleValue
        guard seconds.isFinite, seconds > 0, seconds <= now.timeIntervalSince1970 + 10 * 365 * 86_400 else {
            return nil
        }
        return Date(timeIntervalSince1970: seconds)
    }
}
