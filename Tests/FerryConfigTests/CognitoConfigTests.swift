import Testing

@testable import FerryConfig

/// `[legacy] kind = "cognito"`: what is required and the mistakes named.
struct CognitoConfigTests {
    static let head = "[server]\nlisten = \"127.0.0.1:0\"\n[legacy]\nkind = \"cognito\"\n"
    static let pool = """
        [legacy.cognito]
        region = "eu-west-1"
        user_pool_id = "eu-west-1_AbC123"
        client_id = "client"
        access_key_id = "AKIAEXAMPLE"
        secret_access_key_env = "AWS_SECRET"
        """

    @Test func aPoolIsRead() throws {
        let config = try ProxyConfig.parse(
            Self.head + Self.pool, file: "t.conf", baseDirectory: "/tmp", environment: ["AWS_SECRET": "s"])
        let cognito = try #require(config.legacy?.cognito)
        #expect(cognito.url == "https://cognito-idp.eu-west-1.amazonaws.com/")
        #expect(config.legacy?.sqlDatabase == nil)
    }

    @Test(arguments: [
        (
            "region = \"eu-west-1\"", "region = \"Ireland\"",
            "proxy.conf:6: key `legacy.cognito.region` must be an AWS region such as eu-west-1, found \"Ireland\""
        ),
        (
            "user_pool_id = \"eu-west-1_AbC123\"", "user_pool_id = \"us-east-1_AbC123\"",
            "proxy.conf:7: key `legacy.cognito.user_pool_id` must start with the region and an underscore, e.g. eu-west-1_AbC123"
        ),
        (
            "secret_access_key_env = \"AWS_SECRET\"", "",
            "proxy.conf:5: key `legacy.cognito.secret_access_key_file` or `secret_access_key_env` is required: the IAM key Ferry signs its calls with"
        ),
    ])
    func mistakesAreNamed(_ replaced: String, _ replacement: String, _ expected: String) {
        let found = issues(
            Self.head + Self.pool.replacingOccurrences(of: replaced, with: replacement),
            environment: ["AWS_SECRET": "s"])
        #expect(found.contains(expected), "\(found)")
    }

    /// A SQL store beside the pool holds factors and consents only.
    @Test func aSideStoreNeedsItsQueriesAndNothingElse() throws {
        let environment = ["AWS_SECRET": "s"]
        #expect(
            issues(Self.head + "database = \"sqlite:///x.db\"\n" + Self.pool, environment: environment).contains(
                "proxy.conf:5: key `legacy.database` is read beside `[legacy.cognito]` only through `mfa_query`, `consents_query` or `roles_query`; set one or remove it"
            ))
        #expect(
            issues(Self.head + "mfa_query = \"SELECT 1 WHERE :legacy_id\"\n" + Self.pool, environment: environment)
                .contains(
                    "proxy.conf:5: key `legacy.mfa_query` needs `database`: the SQL store the factors, consents or roles are read from"
                ))
        #expect(
            issues(Self.head + "user_query = \"SELECT :identifier\"\n" + Self.pool, environment: environment).contains(
                "proxy.conf:5: key `legacy.user_query` is SQL; with `kind = \"cognito\"` legacy is read through `[legacy.cognito]`"
            ))
        let config = try ProxyConfig.parse(
            Self.head
                + "database = \"sqlite:///x.db\"\nmfa_query = \"SELECT secret FROM otp WHERE user_sub = :legacy_id\"\n"
                + Self.pool, file: "t.conf", baseDirectory: "/tmp", environment: environment)
        #expect(config.legacy?.hasSideStore == true)
    }
}
