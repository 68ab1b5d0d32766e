import FerryConfig
import Foundation
import Logging

/// Legacy users in an Amazon Cognito user pool (`[legacy] kind = "cognito"`).
/// Cognito never exports password hashes, so every password is judged by
/// Cognito (`AdminInitiateAuth` with `ADMIN_USER_PASSWORD_AUTH`): its lockout
/// counts the attempt, and only a definite "no" is a wrong password.
public final class CognitoLegacySource: LegacySource, LegacyPasswordJudge {
    let api: CognitoAPI
    let settings: CognitoSourceSettings
    private let logger: Logger

    public var judgementScheme: String { "cognito-auth" }

    public init(settings: CognitoSourceSettings, logger: Logger = Logger(label: "ferry")) throws(LegacySourceError) {
        api = try CognitoAPI(settings: settings)
        self.settings = settings
        self.logger = logger
    }

    public func account(for identifier: String) async throws(LegacySourceError) -> LegacyAccount? {
        let user: [String: Any]
        do {
            user = try await api.call("AdminGetUser", ["UserPoolId": settings.userPoolID, "Username": identifier])
        } catch .refused(let type, _) where type == "UserNotFoundException" {
            return nil
        } catch {
            throw .unavailable(error.description)
        }
        var account = try CognitoUser.account(user, attributesKey: "UserAttributes")
        account.roles = try await groups(of: account.username ?? identifier)
        return account
    }

    /// `ListUsers`, 60 at a time (Cognito's largest page), following
    /// `PaginationToken` to the end.
    public func forEachUser(_ body: @Sendable (LegacyAccount) throws -> Void) async throws {
        var token: String?
        repeat {
            var request: [String: Any] = ["UserPoolId": settings.userPoolID, "Limit": 60]
            if let token { request["PaginationToken"] = token }
            let page: [String: Any]
            do {
                page = try await api.call("ListUsers", request)
            } catch {
                throw LegacySourceError.unavailable(error.description)
            }
            for user in page["Users"] as? [[String: Any]] ?? [] {
                try body(try CognitoUser.account(user, attributesKey: "Attributes"))
            }
            token = page["PaginationToken"] as? String
        } while token?.isEmpty == false
    }

    /// Cognito's verdict. A challenge (MFA, a new password required) means the
    /// password was right; `NotAuthorizedException` (wrong password, disabled
    /// user, attempts exceeded) and the other refusals a customer can cause are
    /// "no"; throttling, 5xx and timeouts are "unavailable".
    public func judge(_ account: LegacyAccount, password: String) async -> LegacyJudgement {
        let username = account.username ?? account.legacyID
        var parameters = ["USERNAME": username, "PASSWORD": password]
        if let secret = settings.clientSecret?.value {
            parameters["SECRET_HASH"] = CognitoUser.secretHash(
                username: username, clientID: settings.clientID, clientSecret: secret)
        }
        do {
            _ = try await api.call(
                "AdminInitiateAuth",
                [
                    "UserPoolId": settings.userPoolID, "ClientId": settings.clientID,
                    "AuthFlow": "ADMIN_USER_PASSWORD_AUTH", "AuthParameters": parameters,
                ])
            return .accepted
        } catch .refused(let type, _) where CognitoUser.wrongPasswordAnswers.contains(type) {
            return .rejected
        } catch {
            logger.warning(
                "Cognito did not judge the password; login forwarded to legacy", metadata: ["error": "\(error)"])
            return .unavailable(error.description)
        }
    }

    /// For `ferry check-config --connect`: the pool answers Ferry's signed calls.
    public func checkConnection() async -> String? {
        do {
            _ = try await api.call("ListUsers", ["UserPoolId": settings.userPoolID, "Limit": 1])
            return nil
        } catch {
            return error.description
        }
    }

    private func groups(of username: String) async throws(LegacySourceError) -> [String] {
        var names: [String] = []
        var token: String?
        repeat {
            var request: [String: Any] = ["UserPoolId": settings.userPoolID, "Username": username, "Limit": 60]
            if let token { request["NextToken"] = token }
            do {
                let page = try await api.call("AdminListGroupsForUser", request)
                names += (page["Groups"] as? [[String: Any]] ?? []).compactMap { $0["GroupName"] as? String }
                token = page["NextToken"] as? String
            } catch {
                throw .unavailable(error.description)
            }
        } while token?.isEmpty == false
        return names
    }
}
