import FerryConfig
import Foundation
import Logging
import Synchronization

/// Legacy users in an LDAP directory (`[legacy] kind = "ldap"`): found with the
/// service account by `user_filter` with the identifier escaped, mapped by
/// `LDAPMapping`, and, when the hash cannot be read, judged by binding as
/// the customer — the directory's own answer, lockout counters included.
public final class LDAPLegacySource: LegacySource, LegacyPasswordJudge {
    let settings: LDAPSourceSettings
    let mapping: LDAPMapping
    private let servicePassword: String
    private let options: LDAPConnection.Options
    /// Bound service connections not in use; libldap calls block, so each
    /// runs on `queue`, one caller per connection.
    private let idle = Mutex<[ConnectionBox]>([])
    private let queue = DispatchQueue(label: "ferry.legacy.ldap", attributes: .concurrent)
    /// At most this many service connections, and as many customer binds, at
    /// once: a burst of logins waits its turn instead of opening a connection
    /// each to the directory.
    static let connectionLimit = 16
    private let serviceSlots = DispatchSemaphore(value: LDAPLegacySource.connectionLimit)
    private let bindSlots = DispatchSemaphore(value: LDAPLegacySource.connectionLimit)
    private let logger: Logger

    public var judgementScheme: String { "ldap-bind" }

    public init(settings: LDAPSourceSettings, activeStatuses: [String], logger: Logger = Logger(label: "ferry"))
        throws(LegacySourceError)
    {
        guard let password = settings.bindPassword?.value else {
            throw .unavailable("[legacy.ldap] has no bind password")
        }
        self.settings = settings
        servicePassword = password
        mapping = LDAPMapping(settings: settings, activeStatuses: activeStatuses)
        options = LDAPConnection.Options(
            url: settings.url, startTLS: settings.startTLS, caFile: settings.caFile, timeout: settings.timeout)
        self.logger = logger
    }

    public func account(for identifier: String) async throws(LegacySourceError) -> LegacyAccount? {
        let filter = LDAPFilter.user(settings.userFilter, identifier: identifier)
        let base = settings.baseDN
        let entries: [LDAPEntry]
        do {
            entries = try await onQueue {
                try self.withServiceConnection {
                    try $0.search(base: base, filter: filter, attributes: LDAPMapping.requested, limit: 2)
                }
            }
        } catch let error as LDAPError {
            throw .unavailable(error.description)
        } catch {
            throw .unavailable("\(error)")
        }
        guard let entry = entries.first else { return nil }
        guard entries.count == 1 else { throw .ambiguous }
        return try mapping.account(entry)
    }

    public func forEachUser(_ body: @Sendable (LegacyAccount) throws -> Void) async throws {
        guard let filter = settings.allUsersFilter else { throw LegacySourceError.notConfigured }
        let base = settings.baseDN
        let pageSize = Int32(settings.pageSize)
        // Pages cross from the blocking search on `queue` to the caller, at most
        // two ahead of it; when the caller stops early the search stops too.
        let (pages, feed) = AsyncThrowingStream<[LDAPEntry], any Error>.makeStream()
        let room = DispatchSemaphore(value: 2)
        let stopped = Atomic<Bool>(false)
        queue.async {
            do {
                try self.withServiceConnection { connection in
                    try connection.pagedSearch(
                        base: base, filter: filter, attributes: LDAPMapping.requested, pageSize: pageSize
                    ) { page in
                        room.wait()
                        if stopped.load(ordering: .acquiring) { throw CancellationError() }
                        feed.yield(page)
                    }
                }
                feed.finish()
            } catch let error as LDAPError {
                feed.finish(throwing: LegacySourceError.unavailable(error.description))
            } catch {
                feed.finish(throwing: error)
            }
        }
        defer {
            stopped.store(true, ordering: .releasing)
            room.signal()
        }
        for try await page in pages {
            for entry in page { try body(try mapping.account(entry)) }
            room.signal()
        }
    }

    /// Binds as the customer on a connection of its own: success is the
    /// directory's yes; invalid credentials (also what a locked account
    /// answers) its no; anything else is the directory being unavailable.
    public func judge(_ account: LegacyAccount, password: String) async -> LegacyJudgement {
        guard let dn = account.directoryDN else { return .unavailable("no directory entry to bind as") }
        let options = options
        do {
            let slots = bindSlots
            try await onQueue {
                slots.wait()
                defer { slots.signal() }
                let connection = try LDAPConnection(options)
                try connection.bind(dn: dn, password: password)
            }
            return .accepted
        } catch let error as LDAPError where error.code == LDAPError.invalidCredentials {
            return .rejected
        } catch {
            logger.warning("directory bind failed; login forwarded to legacy", metadata: ["error": "\(error)"])
            return .unavailable("\(error)")
        }
    }

    /// For `ferry check-config --connect`: connects (StartTLS when asked),
    /// binds as the service account and reads `base_dn`. nil when all worked,
    /// otherwise what failed.
    public func checkConnection() async throws -> String? {
        let base = settings.baseDN
        do {
            let found = try await onQueue {
                try self.withServiceConnection { connection in
                    try connection.search(base: base, filter: "(objectClass=*)", attributes: ["1.1"], limit: 1)
                }
            }
            return found.isEmpty ? "base_dn \(base) was not found or cannot be read by bind_dn" : nil
        } catch let error as LDAPError {
            return error.description
        }
    }

    // MARK: Connections

    private func onQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs `body` on an idle bound connection, or a new one. A pooled
    /// connection the server has since dropped fails once and is replaced.
    private func withServiceConnection<T>(_ body: (LDAPConnection) throws -> T) throws -> T {
        serviceSlots.wait()
        defer { serviceSlots.signal() }
        if let pooled = idle.withLock({ $0.popLast() }) {
            do {
                let result = try body(pooled.connection)
                release(pooled)
                return result
            } catch let error as LDAPError where error.isUnavailable {
                // Dropped while idle (a directory restart): try a fresh one.
            }
        }
        let fresh = ConnectionBox(try LDAPConnection(options))
        try fresh.connection.bind(dn: settings.bindDN, password: servicePassword)
        let result = try body(fresh.connection)
        release(fresh)
        return result
    }

    private func release(_ box: ConnectionBox) {
        idle.withLock { if $0.count < Self.connectionLimit { $0.append(box) } }
    }
}

/// A connection moved between the pool and the queue's threads; only one
/// thread uses it at a time (the pool hands each out once).
private final class ConnectionBox: @unchecked Sendable {
    let connection: LDAPConnection
    init(_ connection: LDAPConnection) { self.connection = connection }
}
