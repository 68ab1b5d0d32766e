import AsyncHTTPClient
import FerryConfig
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Legacy users behind a SaaS platform's admin API (`[legacy] kind =
/// "http"`): the user found by identifier, their roles and enrolled methods
/// read by legacy id, everything mapped with JSON pointers. Such platforms
/// never export password hashes, so `[legacy.answer]` judges the passwords.
public final class HTTPLegacySource: LegacySource {
    let settings: HTTPSourceSettings
    let activeStatuses: [String]
    let caseSensitive: Bool
    let client: HTTPClient
    let token: AdminAPIToken
    private let logger: Logger

    /// Responses larger than this are refused (a user, a page of users).
    static let bodyLimit = 8 << 20

    public init(
        settings: HTTPSourceSettings, activeStatuses: [String], caseSensitive: Bool,
        logger: Logger = Logger(label: "ferry")
    ) {
        self.settings = settings
        self.activeStatuses = activeStatuses
        self.caseSensitive = caseSensitive
        client = LegacyHTTPClient.shared
        token = AdminAPIToken(settings: settings, client: client)
        self.logger = logger
    }

    public func account(for identifier: String) async throws(LegacySourceError) -> LegacyAccount? {
        // A path segment of its own; "." and ".." would walk up the path.
        guard !identifier.isEmpty, identifier != ".", identifier != ".." else { return nil }
        guard let document = try await get(HTTPUser.url(settings.userURL, "identifier", identifier)) else {
            return nil
        }
        var found: [LegacyAccount] = []
        for user in HTTPUser.users(at: settings.userPointer, in: document) {
            let account = try HTTPUser.account(
                user, mapping: settings.mapping, consentsPointer: settings.consentsPointer,
                activeStatuses: activeStatuses)
            if HTTPUser.carries(identifier, account, caseSensitive: caseSensitive) { found.append(account) }
        }
        guard var account = found.first else { return nil }
        guard found.count == 1 else { throw .ambiguous }
        if let rolesURL = settings.rolesURL {
            let document = try await get(HTTPUser.url(rolesURL, "legacy_id", account.legacyID))
            for role in document as? [Any] ?? [] {
                let name: Any? =
                    settings.rolePointer.isEmpty ? role : JSONPointer.resolve(settings.rolePointer, in: role)
                if let name = HTTPUser.text(name), !account.roles.contains(name) { account.roles.append(name) }
            }
        }
        if let mfaURL = settings.mfaURL {
            // Most methods' secrets never leave such platforms: those are named
            // as not carried (`unsupported_mfa` decides), and all kinds are
            // carried as `legacy_mfa` for `hold_on_legacy` rules.
            let document = try await get(HTTPUser.url(mfaURL, "legacy_id", account.legacyID))
            let factors = HTTPUser.factors(document as? [Any] ?? [], kindPointer: settings.mfaKindPointer)
            if !factors.kinds.isEmpty { account.attributes["legacy_mfa"] = .text(factors.kinds.joined(separator: ",")) }
            account.mfa = factors.mfa
            account.unexportedFactors = factors.unexported
        }
        return account
    }

    /// `all_users_url` page after page, from `{page}` = 0, until a page is empty.
    public func forEachUser(_ body: @Sendable (LegacyAccount) throws -> Void) async throws {
        guard let template = settings.allUsersURL else { throw LegacySourceError.notConfigured }
        var page = 0
        while true {
            guard let document = try await get(HTTPUser.url(template, "page", String(page))) else { return }
            let users = HTTPUser.users(at: settings.allUsersPointer, in: document)
            if users.isEmpty { return }
            for user in users {
                try body(
                    try HTTPUser.account(
                        user, mapping: settings.mapping, consentsPointer: settings.consentsPointer,
                        activeStatuses: activeStatuses))
            }
            page += 1
        }
    }

    /// The decoded answer; nil for 404. A refused token is fetched again
    /// once; any other failure is the source unavailable.
    private func get(_ url: String, retried: Bool = false) async throws(LegacySourceError) -> Any? {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(try await token.current())")
        request.headers.add(name: "Accept", value: "application/json")
        let (status, body) = try await client.answer(
            request, timeout: settings.timeout, limit: Self.bodyLimit, what: "admin API")
        switch status {
        case 200:
            guard let document = try? JSONSerialization.jsonObject(with: Data(buffer: body), options: .fragmentsAllowed)
            else { throw .unavailable("admin API answered something that is not JSON") }
            return document
        case 404: return nil
        case 401 where !retried && settings.token == nil:
            token.forget()
            return try await get(url, retried: true)
        default:
            throw .unavailable("admin API answered \(status)")
        }
    }
}
