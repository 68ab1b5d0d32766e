/// A directory or a SaaS pool whose MFA factors, consents and extra roles live
/// in a SQL database beside it (`[legacy] database` with `mfa_query`,
/// `consents_query`, `roles_query` keyed by the source's legacy id). The
/// primary finds and judges the user; the side store adds the rest.
final class SupplementedLegacySource: LegacySource, LegacyPasswordJudge {
    /// Judges passwords too, when it can (a directory, a pool); an admin API
    /// cannot, and `[legacy.answer]` judges around this source.
    let primary: any LegacySource
    let side: any LegacyRelatedRows

    init(primary: any LegacySource, side: any LegacyRelatedRows) {
        self.primary = primary
        self.side = side
    }

    var judgementScheme: String { (primary as? any LegacyPasswordJudge)?.judgementScheme ?? "none" }

    func account(for identifier: String) async throws(LegacySourceError) -> LegacyAccount? {
        guard var account = try await primary.account(for: identifier) else { return nil }
        let groups = account.roles
        try await side.complete(&account)
        // The directory's groups first, then the store's roles, each once.
        var seen = Set<String>()
        account.roles = (groups + account.roles).filter { seen.insert($0).inserted }
        return account
    }

    func forEachUser(_ body: @Sendable (LegacyAccount) throws -> Void) async throws {
        try await primary.forEachUser(body)
    }

    func judge(_ account: LegacyAccount, password: String) async -> LegacyJudgement {
        guard let judge = primary as? any LegacyPasswordJudge else {
            return .unavailable("the legacy source cannot judge passwords; set [legacy.answer]")
        }
        return await judge.judge(account, password: password)
    }
}
