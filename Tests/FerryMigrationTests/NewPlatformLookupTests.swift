import FerryConfig
import Foundation
import GRDB
import Testing

@testable import FerryMigration

/// `unknown_identifier = "lookup"` asks the target whether the new platform
/// holds someone legacy does not know.
struct NewPlatformLookupTests {
    @Test func theSQLTargetRunsLookupQuery() async throws {
        try await withTemporarySQLite(
            """
            CREATE TABLE accounts (id TEXT PRIMARY KEY, external_id TEXT, user_name TEXT, email TEXT);
            INSERT INTO accounts VALUES ('a1', NULL, 'newcomer', 'newcomer@example.org');
            """
        ) { path, _ in
            let settings = try sqlTargetSettings(
                database: path,
                """
                statements = ["INSERT INTO accounts (id, external_id) VALUES (:new_id, :legacy_id)"]
                lookup_query = "SELECT 1 FROM accounts WHERE user_name = :identifier OR email = :identifier"
                """)
            let target = try SQLTarget(settings: settings)
            #expect(await target.holdsUser("newcomer") == true)
            #expect(await target.holdsUser("newcomer@example.org") == true)
            #expect(await target.holdsUser("stranger") == false)
            #expect(await target.holdsUser("' OR 1=1 --") == false, "a bound parameter, never SQL")
        }
    }

    /// The identifier is a JSON string inside the filter, percent-encoded in
    /// the query: quotes and `or` cannot widen it.
    @Test(arguments: [
        ("ada", "filter=userName%20eq%20%22ada%22"),
        (#"a" or userName pr or "x"#, "filter=userName%20eq%20%22a%5C%22%20or%20userName%20pr%20or%20%5C%22x%22"),
        (#"back\slash"#, "filter=userName%20eq%20%22back%5C%5Cslash%22"),
        ("a+b&c=d", "filter=userName%20eq%20%22a%2Bb%26c%3Dd%22"),
    ])
    func scimFiltersEscapeTheValue(identifier: String, query: String) {
        #expect(SCIMTarget.filterQuery("userName", equals: identifier) == query)
    }
}
