import Foundation
import Testing

@testable import FerryProxy

/// Who issued a multi-step flow's state: remembered for a while, bounded.
struct LaterStepIssuersTests {
    @Test func valuesAreRememberedUntilTheyExpire() {
        let issuers = LaterStepIssuers(lifetime: 60, capacity: 10)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        issuers.record("token-a", upstream: "legacy", now: now)
        #expect(issuers.issuer(of: "token-a", now: now.addingTimeInterval(59)) == "legacy")
        #expect(issuers.issuer(of: "token-b", now: now) == nil)
        #expect(issuers.issuer(of: "token-a", now: now.addingTimeInterval(61)) == nil)
        #expect(issuers.count == 0, "an expired value is dropped when asked for")
    }

    @Test func theRegistryNeverGrowsPastItsCapacity() {
        let issuers = LaterStepIssuers(lifetime: 600, capacity: 100)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<1000 {
            issuers.record("token-\(index)", upstream: "new", now: now.addingTimeInterval(Double(index)))
        }
        #expect(issuers.count <= 100)
        #expect(issuers.issuer(of: "token-999", now: now.addingTimeInterval(1000)) == "new", "the newest are kept")
    }

    @Test(
        arguments: [
            (#"{"error":"mfa_required","mfa_token":"abc"}"#, ["mfa_token"], ["abc"]),
            (#"{"state":{"id":"s1"}}"#, ["/state/id", "mfa_token"], ["s1"]),
            (#"{"mfa_token":""}"#, ["mfa_token"], []),
            (#"{"mfa_token":7}"#, ["mfa_token"], []),
            ("<html>", ["mfa_token"], []),
        ])
    func issuedValuesAreReadFromJSONAnswers(_ json: String, _ fields: [String], _ values: [String]) {
        #expect(LaterStepIssuers.issued(in: Array(json.utf8), fields: fields) == values)
    }
}
