import Testing

@testable import FerryMigration

/// The token endpoint's answers as Auth0, Okta and Keycloak document them,
/// and what each means. Only a definite "no" is a wrong password.
struct OAuthVerdictTests {
    @Test(arguments: [
        (200, #"{"access_token":"x","token_type":"Bearer"}"#, LegacyJudgement.accepted),
        // Auth0: the password was right, a second factor is due.
        (403, #"{"error":"mfa_required","mfa_token":"t"}"#, .accepted),
        (403, #"{"error":"mfa_registration_required"}"#, .accepted),
        // Auth0 403, Keycloak 401, Okta 400.
        (403, #"{"error":"invalid_grant","error_description":"Wrong email or password."}"#, .rejected),
        (401, #"{"error":"invalid_grant","error_description":"Invalid user credentials"}"#, .rejected),
        (400, #"{"error":"invalid_grant","error_description":"The credentials provided were invalid."}"#, .rejected),
        (401, #"{"error":"unauthorized","error_description":"user is blocked"}"#, .rejected),
        (429, #"{"error":"too_many_attempts"}"#, .rejected),
        // Ferry's own misconfiguration or the platform's trouble: never a wrong password.
        (401, #"{"error":"invalid_client"}"#, .unavailable("token endpoint answered 401 invalid_client")),
        (
            400, #"{"error":"unsupported_grant_type"}"#,
            .unavailable("token endpoint answered 400 unsupported_grant_type")
        ),
        (429, #"{"error":"rate_limited"}"#, .unavailable("token endpoint answered 429 rate_limited")),
        (503, "<html>down</html>", .unavailable("token endpoint answered 503")),
        (200, "not json", .unavailable("token endpoint answered 200")),
    ])
    func verdict(_ status: Int, _ body: String, _ expected: LegacyJudgement) {
        #expect(OAuthPasswordJudge.verdict(status: status, body: Array(body.utf8)) == expected)
    }

    @Test func theFormEscapesEverythingReserved() {
        #expect(
            OAuthPasswordJudge.form([("username", "a+b@example.com"), ("password", "p&w=d %é")])
                == "username=a%2Bb%40example.com&password=p%26w%3Dd%20%25%C3%A9")
    }
}
