import FerryConfig
import Foundation
import Testing

@testable import FerryMigration

/// `[legacy.answer] accepted` / `rejected`: how a rule is written, and what
/// it says about an answer.
struct AnswerRulesTests {
    static func rule(_ text: String) -> AnswerRule {
        let (rule, problem) = AnswerRule.parse(text)
        #expect(problem == nil, "\(text): \(problem ?? "")")
        return rule!
    }

    @Test(
        arguments: [
            ("status=303", [AnswerRule.Term.status([303...303])]),
            ("status=302,303 cookie=session", [.status([302...302, 303...303]), .cookie("session")]),
            ("status=2xx", [.status([200...299])]),
            ("location=/account", [.location("/account")]),
            ("json:/access_token", [.json(pointer: "/access_token", equals: nil)]),
            ("json:/error=mfa_required", [.json(pointer: "/error", equals: "mfa_required")]),
            ("  status=200   json:/a~1b=1 ", [.status([200...200]), .json(pointer: "/a~1b", equals: "1")]),
        ])
    func rulesAreRead(_ text: String, _ terms: [AnswerRule.Term]) {
        #expect(Self.rule(text).terms == terms)
    }

    @Test(
        arguments: [
            ("", "is empty; write terms such as `status=303 cookie=session`"),
            ("status=600", "has `status=600`: a status is a code 100–599 or a class such as `3xx`"),
            ("status=30x", "has `status=30x`: a status is a code 100–599 or a class such as `3xx`"),
            ("status=", "has `status=`: a status is a code 100–599 or a class such as `3xx`"),
            ("location=account", "has `location=account`: the location is a path such as `/account`"),
            ("cookie=", "has `cookie=`: name the cookie, as in `cookie=session`"),
            ("cookie=a;b", "has `cookie=a;b`: name the cookie, as in `cookie=session`"),
            ("json:error", "has `json:error`: a JSON pointer starts with `/` (`json:/error`)"),
            ("header=x", "has `header=x`, which is not `status=`, `location=`, `cookie=` or `json:/pointer`"),
            ("303", "has `303`, which is not `status=`, `location=`, `cookie=` or `json:/pointer`"),
        ])
    func mistakesAreNamed(_ text: String, _ message: String) {
        let (rule, problem) = AnswerRule.parse(text)
        #expect(rule == nil)
        #expect(problem == message)
    }

    static let rules = AnswerRules(
        accepted: [
            rule("status=303 location=/account cookie=session"), rule("cookie=mfa_pending"), rule("json:/access_token"),
            rule("json:/error=mfa_required"),
        ],
        rejected: [rule("status=303 location=/login"), rule("json:/error=invalid_grant"), rule("status=401")])

    static func json(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test(
        arguments: [
            (
                "signed in", LoginAnswer(status: 303, location: "/account", cookiesSet: ["session"]),
                AnswerVerdict.accepted
            ),
            (
                "absolute location",
                LoginAnswer(status: 303, location: "https://shop.example/account?welcome=1", cookiesSet: ["session"]),
                .accepted
            ),
            ("deeper path", LoginAnswer(status: 303, location: "/account/orders", cookiesSet: ["session"]), .accepted),
            (
                "not the same segment", LoginAnswer(status: 303, location: "/accounts", cookiesSet: ["session"]),
                .unclear
            ),
            ("no session set", LoginAnswer(status: 303, location: "/account"), .unclear),
            ("asked for a code", LoginAnswer(status: 200, cookiesSet: ["mfa_pending"]), .accepted),
            ("back to sign-in", LoginAnswer(status: 303, location: "/login?error=1"), .rejected),
            ("401", LoginAnswer(status: 401), .rejected),
            ("server error", LoginAnswer(status: 500), .unclear),
            ("tokens", LoginAnswer(status: 200, json: json(#"{"access_token":"x"}"#)), .accepted),
            ("empty token", LoginAnswer(status: 200, json: json(#"{"access_token":""}"#)), .unclear),
            ("null token", LoginAnswer(status: 200, json: json(#"{"access_token":null}"#)), .unclear),
            ("mfa required", LoginAnswer(status: 403, json: json(#"{"error":"mfa_required"}"#)), .accepted),
            ("invalid grant", LoginAnswer(status: 400, json: json(#"{"error":"invalid_grant"}"#)), .rejected),
            ("not JSON", LoginAnswer(status: 200, json: json("<html>")), .unclear),
            // Both kinds hold: a rule set that overlaps concludes nothing.
            ("both", LoginAnswer(status: 401, cookiesSet: ["mfa_pending"]), .unclear),
        ])
    func answersAreJudged(_ name: String, _ answer: LoginAnswer, _ verdict: AnswerVerdict) {
        #expect(Self.rules.verdict(answer) == verdict, "\(name)")
    }

    /// JSON booleans and numbers are told apart: `true` is not `1`.
    @Test func jsonValuesReadAsWritten() {
        let rules = AnswerRules(accepted: [Self.rule("json:/ok=true"), Self.rule("json:/level=2")])
        #expect(rules.verdict(LoginAnswer(status: 200, json: Self.json(#"{"ok":true}"#))) == .accepted)
        #expect(rules.verdict(LoginAnswer(status: 200, json: Self.json(#"{"ok":1}"#))) == .unclear)
        #expect(rules.verdict(LoginAnswer(status: 200, json: Self.json(#"{"level":2}"#))) == .accepted)
        #expect(rules.verdict(LoginAnswer(status: 200, json: Self.json(#"{"ok":"true"}"#))) == .accepted)
        let set = AnswerRules(accepted: [Self.rule("json:/mfa")])
        #expect(set.verdict(LoginAnswer(status: 200, json: Self.json(#"{"mfa":false}"#))) == .unclear)
        #expect(set.verdict(LoginAnswer(status: 200, json: Self.json(#"{"mfa":true}"#))) == .accepted)
        #expect(set.verdict(LoginAnswer(status: 200, json: Self.json(#"{"mfa":0}"#))) == .accepted)
    }

    @Test func withoutRulesTheStatusSpeaks() {
        #expect(AnswerRules().verdict(LoginAnswer(status: 401)) == nil)
        #expect(Self.rules.verdict(nil) == .unclear)
    }
}
