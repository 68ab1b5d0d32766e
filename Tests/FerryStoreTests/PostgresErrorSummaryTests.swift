import Testing

@testable import FerryStore

/// Server messages reach logs and `ferry users show`; a data exception's
/// message quotes the value that did not fit, so it is replaced.
@Suite struct PostgresErrorSummaryTests {
    @Test(arguments: [
        ("22P02", #"invalid input syntax for type integer: "$argon2id$v=19$secret""#, false),
        ("22007", #"invalid input syntax for type timestamp: "JBSWY3DPEHPK3PXP""#, false),
        ("22003", #"value "99999999999" is out of range for type integer"#, false),
        ("23505", #"duplicate key value violates unique constraint "accounts_user_name_key""#, true),
        ("42703", #"column "nickname" does not exist"#, true),
    ])
    func dataExceptionsNeverQuoteTheValue(state: String, message: String, kept: Bool) {
        let summary = serverErrorSummary(sqlState: state, message: message)
        #expect(summary.hasPrefix("PostgreSQL \(state): "))
        #expect(summary.contains(message) == kept, "\(summary)")
    }
}
