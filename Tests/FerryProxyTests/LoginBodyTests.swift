import FerryConfig
import Foundation
import Testing

@testable import FerryProxy

@Suite struct LoginBodyTests {
    static func settings(_ identifier: String = "username", _ password: String = "password") -> LoginSettings {
        LoginSettings(
            bodyFormat: .auto, identifierField: identifier, passwordField: password, maxBodySize: 16 << 10,
            newPlatformShape: nil)
    }

    static func read(_ body: String, _ contentType: String?, _ settings: LoginSettings = settings()) -> Result<
        LoginCredentials, LoginBodyError
    > {
        LoginBody.format(settings.bodyFormat, contentType: contentType).flatMap {
            LoginBody.credentials(Array(body.utf8), format: $0, settings: settings)
        }
    }

    @Test(arguments: [
        ("username=ada&password=s3cret", "application/x-www-form-urlencoded", "ada", "s3cret"),
        (
            "password=p%26ss+word&username=ada%40example.com", "application/x-www-form-urlencoded; charset=utf-8",
            "ada@example.com", "p&ss word"
        ),
        ("username=&password=", "application/x-www-form-urlencoded", "", ""),
        (#"{"username":"ada","password":"pw"}"#, "application/json", "ada", "pw"),
        (#"{"username":"Ādа","password":"p\"w"}"#, "application/vnd.api+json", "Ādа", "p\"w"),
    ])
    func readsFormsAndJSON(body: String, contentType: String, identifier: String, password: String) throws {
        let credentials = try Self.read(body, contentType).get()
        #expect(credentials == LoginCredentials(identifier: identifier, password: password))
    }

    @Test func aMissingCredentialIsALaterStepNotAMalformedBody() {
        guard case .failure(let missing) = Self.read("code=123456", "application/x-www-form-urlencoded") else {
            Issue.record("an MFA step has no credentials")
            return
        }
        #expect(missing.isMissingField)
        guard case .failure(let repeated) = Self.read("username=a&username=b", "application/x-www-form-urlencoded")
        else {
            Issue.record("a repeated field is refused")
            return
        }
        #expect(!repeated.isMissingField)
    }

    @Test(arguments: [
        (#"{"a":1,"b":{"a":2}}"#, nil), (#"{"a":1,"a":2}"#, "a"), (#"[{"a":1},{"a":2}]"#, nil),
        (#"{"a":"\"a\"","b":1}"#, nil), (#"{"\ud83d\ude00":1,"😀":2}"#, "😀"), (#"{"a":[1,{"b":1,"b":2}]}"#, "b"),
        (#"{"a":"x,y","b":{"c":1},"c":2}"#, nil), ("{\"a", nil),
    ])
    func duplicateKeysAreFoundInAnyObject(json: String, duplicate: String?) {
        #expect(JSONDuplicateKeys.first(in: Array(json.utf8)) == duplicate)
    }

    @Test func jsonPointersReachNestedFields() throws {
        let settings = Self.settings("/user/emails/0", "/secret~1pass")
        let body = #"{"user":{"emails":["ada@example.com"]},"secret/pass":"pw"}"#
        #expect(
            try Self.read(body, "application/json", settings).get()
                == LoginCredentials(identifier: "ada@example.com", password: "pw"))
    }

    @Test(arguments: [
        ("username=ada&password=%zz", "application/x-www-form-urlencoded", "not valid form encoding"),
        ("password=pw", "application/x-www-form-urlencoded", "no `username` field"),
        ("username=ada", "application/x-www-form-urlencoded", "no `password` field"),
        ("{\"username\": \"ada\"", "application/json", "not valid JSON"),
        (#"{"username":"ada"}"#, "application/json", "nothing at `/password`"),
        (#"{"username":42,"password":"pw"}"#, "application/json", "at `/username` must be a string"),
        ("username=ada&password=pw", "text/plain", "found \"text/plain\""),
        // Shapes that once let one user be judged and another logged in.
        ("username=a&username=victim&password=pw", "application/x-www-form-urlencoded", "repeats the `username` field"),
        ("username=ada&password=a&password=b", "application/x-www-form-urlencoded", "repeats the `password` field"),
        (#"{"username":"a","username":"victim","password":"pw"}"#, "application/json", "repeats the key `username`"),
        (#"{"user\u006eame":"a","username":"victim","password":"pw"}"#, "application/json", "repeats the key"),
        (#"{"username":"a","password":"pw","x":{"k":1,"k":2}}"#, "application/json", "repeats a key"),
        (
            "username=ada%00x&password=pw", "application/x-www-form-urlencoded",
            "identifier contains a control character"
        ),
        (
            "username=ada%0D%0Ax&password=pw", "application/x-www-form-urlencoded",
            "identifier contains a control character"
        ),
        (#"{"username":"ada\u0000x","password":"pw"}"#, "application/json", "identifier contains a control character"),
        ("username=ada&password=pw%00x", "application/x-www-form-urlencoded", "password contains a NUL"),
        ("username=ada&password=pw", nil, "found no Content-Type"),
    ])
    func malformedBodiesSayWhatIsWrongWithoutValues(body: String, contentType: String?, message: String) {
        guard case .failure(let error) = Self.read(body, contentType) else {
            Issue.record("\(body) must be refused")
            return
        }
        #expect(error.description.contains(message), "\(error)")
        #expect(!error.description.contains("pw") && !error.description.contains("ada"))
    }

    @Test func reshapesToTheNewPlatformsForm() throws {
        let login = LoginCredentials(identifier: "ada@example.com", password: "p&ss word")
        let form = LoginBody.reshape(
            login,
            to: LoginShape(
                bodyFormat: .form, identifierField: "email", passwordField: "pass", staticFields: ["client_id": "web"]))
        #expect(form.contentType == "application/x-www-form-urlencoded")
        #expect(
            String(decoding: form.body, as: UTF8.self) == "email=ada%40example.com&pass=p%26ss%20word&client_id=web")
        let fields = try #require(LoginBody.formFields(form.body))
        #expect(fields.map(\.1) == ["ada@example.com", "p&ss word", "web"])

        let json = LoginBody.reshape(
            login,
            to: LoginShape(
                bodyFormat: .json, identifierField: "/user/email", passwordField: "/password",
                staticFields: ["/flow": "login"]))
        #expect(json.contentType == "application/json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.body)) as? [String: Any])
        #expect((object["user"] as? [String: Any])?["email"] as? String == "ada@example.com")
        #expect(object["password"] as? String == "p&ss word")
        #expect(object["flow"] as? String == "login")
    }

    /// Only the identifier changes: every other field (a CSRF token, a
    /// "remember me") reaches the new platform with its value.
    @Test func theIdentifierIsReplacedAndNothingElse() throws {
        let form = try #require(
            LoginBody.replacingIdentifier(
                Array("csrf=a%2Bb&username=+ADA&password=p%26w&remember=1".utf8), format: .form, field: "username",
                with: "ada"))
        let fields = try #require(LoginBody.formFields(form))
        #expect(fields.map(\.0) == ["csrf", "username", "password", "remember"])
        #expect(fields.map(\.1) == ["a+b", "ada", "p&w", "1"])

        let json = try #require(
            LoginBody.replacingIdentifier(
                Array(#"{"user":{"login":" ADA","tenant":"t1"},"password":"pw"}"#.utf8), format: .json,
                field: "/user/login", with: "ada"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
        #expect((object["user"] as? [String: Any])?["login"] as? String == "ada")
        #expect((object["user"] as? [String: Any])?["tenant"] as? String == "t1")
        #expect(object["password"] as? String == "pw")
    }
}
