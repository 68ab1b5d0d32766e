import Foundation

/// The Cognito user pool the tests may use: moto in server mode, started by
/// `scripts/test` (`scripts/cognito-throwaway`), which sets these variables.
public enum TestCognito {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    public static var endpoint: String? { environment["FERRY_TEST_COGNITO_ENDPOINT"] }

    /// A `[legacy]` table reading the throwaway pool.
    public static func legacyTables(endpoint: String? = nil) -> String {
        """
        [legacy]
        kind = "cognito"
        [legacy.cognito]
        region = "eu-west-1"
        user_pool_id = "\(environment["FERRY_TEST_COGNITO_POOL"] ?? "eu-west-1_none")"
        client_id = "\(environment["FERRY_TEST_COGNITO_CLIENT"] ?? "none")"
        client_secret_file = "\(environment["FERRY_TEST_COGNITO_CLIENT_SECRET_FILE"] ?? "/nonexistent")"
        access_key_id = "AKIDFERRYTEST"
        secret_access_key_file = "\(environment["FERRY_TEST_COGNITO_ACCESS_SECRET_FILE"] ?? "/nonexistent")"
        endpoint = "\(endpoint ?? self.endpoint ?? "http://127.0.0.1:1")"
        timeout = "3s"
        """
    }
}
