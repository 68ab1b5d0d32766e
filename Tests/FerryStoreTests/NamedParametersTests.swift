import Testing

@testable import FerryStore

@Suite struct NamedParametersTests {
    @Test(arguments: [
        ("SELECT * FROM u WHERE name = :identifier", "SELECT * FROM u WHERE name = $1", ["identifier"]),
        // One number per name, however often it is used.
        (
            "SELECT * FROM u WHERE a = :identifier OR b = lower(:identifier) AND c = :legacy_id",
            "SELECT * FROM u WHERE a = $1 OR b = lower($1) AND c = $2", ["identifier", "legacy_id"]
        ),
        // Casts, strings, quoted names and comments keep their colons.
        (
            "SELECT id::text FROM u WHERE n = :identifier::citext", "SELECT id::text FROM u WHERE n = $1::citext",
            ["identifier"]
        ),
        ("SELECT ':not' , 'it''s :not' FROM u WHERE n = :x", "SELECT ':not' , 'it''s :not' FROM u WHERE n = $1", ["x"]),
        (#"SELECT E'\' :not' FROM u WHERE n = :x"#, #"SELECT E'\' :not' FROM u WHERE n = $1"#, ["x"]),
        (#"SELECT "a:not" FROM u WHERE n = :x"#, #"SELECT "a:not" FROM u WHERE n = $1"#, ["x"]),
        ("SELECT 1 -- :not\nFROM u WHERE n = :x", "SELECT 1 -- :not\nFROM u WHERE n = $1", ["x"]),
        (
            "SELECT /* :not /* :nested */ :not */ 1 WHERE n = :x",
            "SELECT /* :not /* :nested */ :not */ 1 WHERE n = $1", ["x"]
        ),
        ("SELECT $tag$ :not $tag$, $$ :not $$ WHERE n = :x", "SELECT $tag$ :not $tag$, $$ :not $$ WHERE n = $1", ["x"]),
        // A lone colon, array slices and a trailing colon are not parameters.
        ("SELECT a[1:2], ':' , x : y FROM u:", "SELECT a[1:2], ':' , x : y FROM u:", []),
        // An unterminated string ends the scan without inventing parameters.
        ("SELECT 'open :not", "SELECT 'open :not", []),
        ("SELECT :ñame", "SELECT $1", ["ñame"]),
    ])
    func namesBecomeNumbers(sql: String, expected: String, names: [String]) {
        let result = NamedParameters.positional(sql)
        #expect(result.sql == expected)
        #expect(result.names == names)
    }
}
