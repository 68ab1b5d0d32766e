import Foundation
import Testing

@testable import FerryStore

/// MySQL's statements with Ferry's named parameters, and the text protocol's
/// values read by their column's type.
@Suite struct MySQLTextTests {
    static func literal(_ value: String?) -> String { value.map { "<\($0)>" } ?? "NULL" }

    @Test(arguments: [
        ("SELECT * FROM u WHERE name = :identifier", "SELECT * FROM u WHERE name = <ada>"),
        // Each use takes the value again.
        (
            "SELECT * FROM u WHERE a = :identifier OR b = lower(:identifier)",
            "SELECT * FROM u WHERE a = <ada> OR b = lower(<ada>)"
        ),
        (
            "SELECT ':not', 'it''s :not', 'a\\' :not' FROM u WHERE n = :identifier",
            "SELECT ':not', 'it''s :not', 'a\\' :not' FROM u WHERE n = <ada>"
        ),
        (#"SELECT ":not", `a:not` FROM u WHERE n = :identifier"#, #"SELECT ":not", `a:not` FROM u WHERE n = <ada>"#),
        ("SELECT 1 # :not\nFROM u WHERE n = :identifier", "SELECT 1 # :not\nFROM u WHERE n = <ada>"),
        ("SELECT 1 -- :not\nFROM u WHERE n = :identifier", "SELECT 1 -- :not\nFROM u WHERE n = <ada>"),
        // `--` without a space is no comment in MySQL: 1--1 is 1 - (-1).
        ("SELECT 1--:identifier", "SELECT 1--<ada>"),
        ("SELECT /* :not */ 1 WHERE n = :identifier", "SELECT /* :not */ 1 WHERE n = <ada>"),
        ("SELECT @x := 1, ':' FROM u WHERE n = :legacy_id", "SELECT @x := 1, ':' FROM u WHERE n = NULL"),
        ("SELECT 'open :not", "SELECT 'open :not"),
    ])
    func parametersAreFoundOutsideQuotesAndComments(_ sql: String, _ expected: String) throws {
        let parameters: [String: String?] = ["identifier": "ada", "legacy_id": nil]
        #expect(try MySQLParameters.statement(sql, parameters, literal: Self.literal) == expected)
    }

    @Test func aParameterFerryDoesNotSupplyIsAnError() {
        #expect(throws: UnknownParameter.self) {
            try MySQLParameters.statement("SELECT 1 WHERE a = :legacyid", ["legacy_id": "7"], literal: Self.literal)
        }
    }

    @Test(arguments: [
        ("42", MySQLValues.Kind.integer, QueryValue.integer(42), nil as String?),
        ("-9000000000", .integer, .integer(-9_000_000_000), nil),
        ("1", .boolean, .integer(1), "BOOLEAN"),
        ("12.50", .decimal, .real(12.5), nil),
        ("12", .decimal, .integer(12), nil),
        ("1.5e3", .real, .real(1500), nil),
        ("2024-05-01 08:30:00.5", .date, .date(Date(timeIntervalSince1970: 1_714_552_200.5)), nil),
        ("2024-05-01 08:30:00.000001", .date, .date(Date(timeIntervalSince1970: 1_714_552_200.000001)), nil),
        ("1990-12-10", .date, .date(Date(timeIntervalSince1970: 660_787_200)), nil),
        ("0000-00-00 00:00:00", .date, .null, nil),
        ("gold", .text, .text("gold"), nil),
    ])
    func valuesAreReadByTheirColumnsType(
        _ text: String, _ kind: MySQLValues.Kind, _ value: QueryValue, _ declared: String?
    )
        throws
    {
        let (read, declaration) = try MySQLValues.value(Data(text.utf8), type: kind, column: "c")
        if case .date(let expected) = value, case .date(let got) = read {
            #expect(abs(expected.timeIntervalSince1970 - got.timeIntervalSince1970) < 0.000_000_5)
        } else {
            #expect(read == value)
        }
        #expect(declaration == declared)
    }

    @Test func bitsAndBytes() throws {
        #expect(try MySQLValues.value(Data([0x01, 0x02]), type: .bits, column: "c").0 == .integer(258))
        #expect(try MySQLValues.value(Data([0x00, 0xFF]), type: .bytes, column: "c").0 == .blob(Data([0x00, 0xFF])))
    }

    @Test(arguments: [("x", MySQLValues.Kind.integer), ("2024-13-01", .date), ("2024-05-01 25:00:00", .date)])
    func unreadableValuesNameTheColumn(_ text: String, _ kind: MySQLValues.Kind) {
        let error = #expect(throws: MySQLError.self) {
            try MySQLValues.value(Data(text.utf8), type: kind, column: "born")
        }
        #expect(error?.description.contains("column `born`") == true)
        #expect(error?.description.contains(text) == false, "the value is not repeated")
    }

    @Test func errorMessagesLeaveQuotedValuesOut() {
        let duplicate = MySQLError(
            code: 1062, sqlState: "23000", message: "Duplicate entry 'ada@example.com' for key 'email'")
        #expect(duplicate.description == "MySQL error 1062 (23000): Duplicate entry '…' for key 'email'")
        let table = MySQLError(code: 1146, sqlState: "42S02", message: "Table 'ferry.users' doesn't exist")
        #expect(table.description == "MySQL error 1146 (42S02): Table 'ferry.users' doesn't exist")
    }
}
