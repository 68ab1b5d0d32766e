import FerryConfig
import PasswordHashes

/// A SQL legacy source whose passwords the legacy platform judges itself
/// (`[legacy] verify = "answer"` or `"auto"`): the rows still give the profile,
/// factors and consents; the platform's verdict decides for every row
/// (`answer`) or for the rows whose hash Ferry cannot read (`auto`). The
/// verdict comes from its token endpoint, or — with no judge to call — from
/// its answer to the customer's own login, forwarded to it (`deferred`).
final class AnsweredLegacySource: LegacySource, LegacyPasswordJudge {
    let primary: any LegacySource
    /// nil with `[legacy.answer] mode = "forwarded"`.
    let judgeByToken: OAuthPasswordJudge?
    let mode: LegacyVerification
    let catalog: HashCatalog

    init(primary: any LegacySource, judge: OAuthPasswordJudge?, mode: LegacyVerification, catalog: HashCatalog) {
        self.primary = primary
        judgeByToken = judge
        self.mode = mode
        self.catalog = catalog
    }

    var judgementScheme: String { "legacy-answer" }

    func account(for identifier: String) async throws(LegacySourceError) -> LegacyAccount? {
        guard var account = try await primary.account(for: identifier) else { return nil }
        account.judgedByLegacy = Self.judged(account, mode: mode, catalog: catalog)
        return account
    }

    /// With `auto`, the platform judges the rows no known format reads (an
    /// opaque or proprietary hash); reading never does the expensive work.
    static func judged(_ account: LegacyAccount, mode: LegacyVerification, catalog: HashCatalog) -> Bool {
        switch mode {
        case .hash: return false
        case .answer: return true
        case .auto:
            return
                (try? catalog.parse(account.passwordHash, salt: account.verificationSalt, username: account.username))
                == nil
        }
    }

    func forEachUser(_ body: @Sendable (LegacyAccount) throws -> Void) async throws {
        try await primary.forEachUser(body)
    }

    func judge(_ account: LegacyAccount, password: String) async -> LegacyJudgement {
        guard let judgeByToken else { return .deferred }
        return await judgeByToken.judge(
            username: account.username ?? account.email ?? account.legacyID, password: password)
    }
}
