import Foundation
import Testing

@testable import FerryMigration

/// SigV4 held to botocore's signatures for the same requests (botocore
/// 1.x `SigV4Auth`, timestamp fixed at 2026-12-04T12:00:00Z).
struct AWSSignatureTests {
    @Test(
        arguments: [
            (
                nil, "content-type;host;x-amz-date;x-amz-target",
                "e43afc1217b52451dcb822d9bc72543b72206a443e209423e999a62483baac54"
            ),
            (
                "session-token-xyz", "content-type;host;x-amz-date;x-amz-security-token;x-amz-target",
                "9ec135364837e4f3395c62d2dd358b9cab30e7b63f531b8e1f37fe141cd63ed5"
            ),
        ] as [(String?, String, String)])
    func matchesBotocore(_ token: String?, _ signedHeaders: String, _ signature: String) throws {
        let signer = AWSSignature(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            sessionToken: token,
            region: "eu-west-1", service: "cognito-idp")
        let headers = signer.headers(
            host: "cognito-idp.eu-west-1.amazonaws.com", target: "AWSCognitoIdentityProviderService.AdminGetUser",
            body: Array(#"{"UserPoolId":"eu-west-1_abc","Username":"ada"}"#.utf8),
            date: try #require(ISO8601DateFormatter().date(from: "2026-12-04T12:00:00Z")))
        let authorization = try #require(headers.first { $0.0 == "authorization" }?.1)
        #expect(
            authorization
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261204/eu-west-1/cognito-idp/aws4_request, SignedHeaders=\(signedHeaders), Signature=\(signature)"
        )
        #expect(headers.contains { $0 == ("x-amz-date", "20261204T120000Z") })
    }

    /// Cognito's SECRET_HASH, as the AWS documentation defines it.
    @Test func secretHash() {
        // base64(HMAC-SHA256("secret", "ada" + "client")), computed with Python's hmac.
        #expect(
            CognitoUser.secretHash(username: "ada", clientID: "client", clientSecret: "secret")
                == "FEW6rzXVdy2RLJp0KqkU9A6/pxQBq5FgsxTWe/Ot+CI=")
    }
}
