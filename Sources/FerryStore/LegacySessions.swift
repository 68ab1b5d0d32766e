import Foundation
import GRDB

/// A legacy session or bearer token Ferry saw being issued or used. Only a
/// hash of the session id is kept, never the id itself.
public struct ObservedSession: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case cookie, token
    }

    /// Hex SHA-256 of the raw session id or token.
    public var idHash: String
    public var kind: Kind
    /// The cookie name, or "bearer".
    public var name: String
    /// The normalized identifier of the user, when the login that issued it was seen.
    public var identifier: String?
    public var issuedAt: Date
    /// nil: no known end (a browser-session cookie); see `sessionFallbackLifetime`.
    public var expiresAt: Date?
    public var endedAt: Date?
    /// Where the expiry came from: `set_cookie`, `jwt` or `session_store`.
    public var expirySource: String

    public init(
        idHash: String, kind: Kind, name: String, identifier: String?, issuedAt: Date, expiresAt: Date?,
        endedAt: Date? = nil, expirySource: String
    ) {
        self.idHash = idHash
        self.kind = kind
        self.name = name
        self.identifier = identifier
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.endedAt = endedAt
        self.expirySource = expirySource
    }

    public func isAlive(at now: Date) -> Bool {
        guard endedAt == nil else { return false }
        return expiresAt.map { $0 > now } ?? true
    }
}

/// Live legacy sessions and tokens: the answer to "when can legacy go?".
public struct SessionDrain: Codable, Equatable, Sendable {
    public var sessionsAlive: Int
    public var usersWithSessions: Int
    public var lastSessionExpiry: Date?
    public var tokensAlive: Int
    public var usersWithTokens: Int
    public var lastTokenExpiry: Date?
    /// Live sessions whose end is unknown (no Max-Age or Expires, nothing from
    /// the session store); they hold `lastSessionExpiry` open.
    public var withoutExpiry: Int

    public init(
        sessionsAlive: Int = 0, usersWithSessions: Int = 0, lastSessionExpiry: Date? = nil, tokensAlive: Int = 0,
        usersWithTokens: Int = 0, lastTokenExpiry: Date? = nil, withoutExpiry: Int = 0
    ) {
        self.sessionsAlive = sessionsAlive
        self.usersWithSessions = usersWithSessions
        self.lastSessionExpiry = lastSessionExpiry
        self.tokensAlive = tokensAlive
        self.usersWithTokens = usersWithTokens
        self.lastTokenExpiry = lastTokenExpiry
        self.withoutExpiry = withoutExpiry
    }
}

extension SQLiteStateStore {
    static func registerSessionMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4: observed legacy sessions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE legacy_sessions (
                        id_hash TEXT PRIMARY KEY,
                        kind TEXT NOT NULL CHECK (kind IN ('cookie', 'token')),
                        name TEXT NOT NULL,
                        identifier TEXT,
                        issued_at REAL NOT NULL,
                        expires_at REAL,
                        ended_at REAL,
                        expiry_source TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX legacy_sessions_expiry ON legacy_sessions(ended_at, expires_at);
                    """)
        }
    }

    /// Records a session, or updates the one with the same id hash (a renewed
    /// cookie moves its expiry; a known user is never forgotten).
    public func recordLegacySession(_ session: ObservedSession) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO legacy_sessions (id_hash, kind, name, identifier, issued_at, expires_at, ended_at,
                        expiry_source)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id_hash) DO UPDATE SET
                        identifier = COALESCE(excluded.identifier, identifier),
                        expires_at = excluded.expires_at,
                        ended_at = excluded.ended_at,
                        expiry_source = excluded.expiry_source
                    """,
                arguments: [
                    session.idHash, session.kind.rawValue, session.name, session.identifier,
                    session.issuedAt.timeIntervalSince1970, session.expiresAt?.timeIntervalSince1970,
                    session.endedAt?.timeIntervalSince1970, session.expirySource,
                ])
        }
    }

    public func legacySession(idHash: String) async throws -> ObservedSession? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM legacy_sessions WHERE id_hash = ?", arguments: [idHash]).map {
                row in
                ObservedSession(
                    idHash: row["id_hash"], kind: ObservedSession.Kind(rawValue: row["kind"]) ?? .cookie,
                    name: row["name"], identifier: row["identifier"],
                    issuedAt: Date(timeIntervalSince1970: row["issued_at"]),
                    expiresAt: (row["expires_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                    endedAt: (row["ended_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                    expirySource: row["expiry_source"])
            }
        }
    }

    /// Logout, revocation or an expired answer from the session store.
    public func endLegacySession(idHash: String, at: Date) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE legacy_sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL",
                arguments: [at.timeIntervalSince1970, idHash])
        }
    }

    @discardableResult
    public func pruneLegacySessions(endedBefore cutoff: Date) async throws -> Int {
        try await write { db in
            try db.execute(
                sql: """
                    DELETE FROM legacy_sessions
                    WHERE (ended_at IS NOT NULL AND ended_at < :cutoff)
                        OR (ended_at IS NULL AND expires_at IS NOT NULL AND expires_at < :cutoff)
                    """,
                arguments: ["cutoff": cutoff.timeIntervalSince1970])
            return db.changesCount
        }
    }

    public func sessionDrain(at now: Date) async throws -> SessionDrain {
        try await read { db in
            var drain = SessionDrain()
            let alive = "ended_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT kind, COUNT(*) AS n, COUNT(DISTINCT identifier) AS users, MAX(expires_at) AS last,
                        SUM(expires_at IS NULL) AS open
                    FROM legacy_sessions WHERE \(alive) GROUP BY kind
                    """, arguments: [now.timeIntervalSince1970])
            {
                let last = (row["last"] as Double?).map(Date.init(timeIntervalSince1970:))
                switch row["kind"] as String {
                case "token":
                    (drain.tokensAlive, drain.usersWithTokens, drain.lastTokenExpiry) = (row["n"], row["users"], last)
                default:
                    (drain.sessionsAlive, drain.usersWithSessions, drain.lastSessionExpiry) = (
                        row["n"], row["users"], last
                    )
                }
                drain.withoutExpiry += row["open"] as Int
            }
            return drain
        }
    }
}
