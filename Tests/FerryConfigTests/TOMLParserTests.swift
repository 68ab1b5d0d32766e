import Foundation
import Testing

@testable import FerryConfig

/// Ferry's TOML parser: TOML 1.0 values, tables and their rules, and — what it
/// exists for — a clear error with a line for every malformed text, never a crash.
struct TOMLParserTests {
    private func value(_ text: String, _ key: String = "a") throws -> TOMLValue? {
        try TOMLParser.parse(text).root[key]
    }

    private func failure(_ text: String) -> TOMLSyntaxError? {
        do {
            _ = try TOMLParser.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        (#"a = "x\ty\u00e9\U0001F600""#, "x\ty\u{e9}\u{1F600}"),
        (#"a = 'C:\path\*'"#, #"C:\path\*"#),
        ("a = \"\"\"\nline one\nline two\"\"\"", "line one\nline two"),
        ("a = \"\"\"one \\\n    two\"\"\"", "one two"),
        ("a = '''\n x\\n ''''", " x\\n '"),
        ("a = \"\"\"q\"\"\"\"\"", "q\"\""),
        (#"a = """#, ""),
        ("a = \"é\"", "é"),
    ])
    func strings(text: String, expected: String) throws {
        #expect(try value(text)?.string == expected)
    }

    @Test(arguments: [
        ("a = 42", 42), ("a = +17", 17), ("a = -0", 0), ("a = 1_000", 1000), ("a = 0xDEAD_beef", 0xDEAD_BEEF),
        ("a = 0o755", 0o755), ("a = 0b1101", 13), ("a = 9223372036854775807", Int.max),
        ("a = -9223372036854775808", Int.min),
    ])
    func integers(text: String, expected: Int) throws {
        #expect(try value(text)?.int == expected)
    }

    @Test(arguments: [
        ("a = 3.14", 3.14), ("a = -0.01", -0.01), ("a = 5e+22", 5e22), ("a = 1e06", 1e6), ("a = 6.626e-34", 6.626e-34),
        ("a = 224_617.445_991", 224_617.445_991), ("a = inf", Double.infinity), ("a = -inf", -Double.infinity),
    ])
    func floats(text: String, expected: Double) throws {
        #expect(try value(text)?.double == expected)
    }

    @Test(arguments: [
        "a = 1979-05-27T07:32:00Z", "a = 1979-05-27T00:32:00.999999-07:00", "a = 1979-05-27 07:32:00",
        "a = 1979-05-27", "a = 07:32:00", "a = 00:32:00.5",
    ])
    func datesAndTimesAreRecognised(text: String) throws {
        guard case .dateTime? = try value(text) else {
            Issue.record("not a date-time: \(text)")
            return
        }
    }

    @Test func tablesArraysAndInlineTablesNest() throws {
        let text = """
            # a comment
            top = true # trailing
            [server]
            listen = "x"
            limits.body = 10
            [upstreams.legacy]
            cookies = [ "a", # one
              "b",
            ]
            [[route]]
            name = "first"
            [route.match]
            path = "/login"
            [[route]]
            name = "second"
            point = { x = 1, y.z = 2 }
            """
        let root = try TOMLParser.parse(text).root
        #expect(root["top"]?.bool == true)
        #expect(root["server"]?.table?["listen"]?.string == "x")
        #expect(root["server"]?.table?["limits"]?.table?["body"]?.int == 10)
        #expect(root["upstreams"]?.table?["legacy"]?.table?["cookies"]?.array?.compactMap(\.string) == ["a", "b"])
        let routes = root["route"]?.array?.compactMap(\.table) ?? []
        #expect(routes.map { $0["name"]?.string } == ["first", "second"])
        #expect(routes.first?["match"]?.table?["path"]?.string == "/login")
        #expect(routes.last?["point"]?.table?["y"]?.table?["z"]?.int == 2)
        #expect(root.keys == ["top", "server", "upstreams", "route"])
    }

    @Test func implicitTablesMayBeDefinedLater() throws {
        let root = try TOMLParser.parse("[a.b]\nc = 1\n[a]\nd = 2\n").root
        #expect(root["a"]?.table?["d"]?.int == 2)
        #expect(root["a"]?.table?["b"]?.table?["c"]?.int == 1)
    }

    @Test func windowsLineEndingsAndByteOrderMark() throws {
        let root = try TOMLParser.parse("\u{FEFF}[server]\r\nlisten = \"x\"\r\n").root
        #expect(root["server"]?.table?["listen"]?.string == "x")
    }

    /// The typos of a hand-edited file, each a clear error on its line.
    @Test(arguments: [
        ("[", 1, "expected a key"),
        ("[=route]]", 1, "expected a key, found `=`"),
        ("[.state]", 1, "expected a key, found `.`"),
        ("[}erver]", 1, "expected a key, found `}`"),
        ("[édmin]", 1, "expected a key, found a non-ASCII character"),
        ("[server\nlisten = 1", 1, "expected `]`"),
        ("[server]\nlisten = ", 2, "expected a value"),
        ("[server]\nlisten = \"x", 2, "unterminated string"),
        ("a = 1\na = 2", 2, "defined more than once"),
        ("[a]\n[a]", 2, "defined more than once"),
        ("a = 1\n[a]", 2, "defined more than once"),
        ("a = [1]\n[[a]]", 2, "already holds a value"),
        ("a = {b = 1}\n[a.c]", 2, "not a table"),
        ("a = {b = 1}\na.c = 2", 2, "already defined"),
        ("[a]\nb = 1\n[x]\na.b = 2\n[a.b.c]", 5, "not a table"),
        ("a.b = 1\n[a]", 2, "defined more than once"),
        ("a = 01", 1, "not a valid number"),
        ("a = 1__0", 1, "not a valid number"),
        ("a = 9223372036854775808", 1, "out of range"),
        ("a = 1.", 1, "not a valid number"),
        ("a = .5", 1, "expected a value"),
        ("a = tru", 1, "expected a value"),
        ("a = \"\\x41\"", 1, "unknown escape `\\x`"),
        ("a = \"\\uD800\"", 1, "not a Unicode scalar value"),
        ("a = \"tab\u{01}\"", 1, "control character U+0001"),
        ("a = 1 b = 2", 1, "expected the end of the line"),
        ("a = { b = 1, }", 1, "expected a key"),
        ("a = { b = 1\n}", 1, "must fit on one line"),
        ("a = [1 2]", 1, "expected `,` or `]`"),
        ("a = 1\r", 1, "carriage return"),
        ("a = 1979-13-27", 1, "not a valid number, date or time"),
        ("= 1", 1, "expected a key"),
        ("a = '''x", 1, "unterminated multi-line string"),
    ])
    func malformedTextIsALineNumberedError(text: String, line: Int, message: String) {
        guard let error = failure(text) else {
            Issue.record("parsed: \(text.debugDescription)")
            return
        }
        #expect(error.line == line, "\(text.debugDescription): \(error)")
        #expect(error.message.contains(message), "\(text.debugDescription): \(error.message)")
    }

    @Test func deepNestingIsRefusedNotAStackOverflow() {
        let deep = "a = " + String(repeating: "[", count: 100_000)
        #expect(failure(deep)?.message.contains("nested more than") == true)
        let deepTables = "a = " + String(repeating: "{b=", count: 100_000)
        #expect(failure(deepTables)?.message.contains("nested more than") == true)
    }

    /// Error messages name bytes by code, never echo control characters to a terminal.
    @Test func errorsNeverCarryRawControlBytes() {
        for byte in UInt8(0)..<0x20 where byte != 0x0A && byte != 0x0D && byte != 0x09 {
            let text = "[server]\n" + String(UnicodeScalar(byte)) + "x = 1"
            let message = failure(text)?.message ?? ""
            #expect(!message.unicodeScalars.contains { $0.value < 0x20 }, "byte \(byte)")
        }
    }
}
