import FerryConfig
import Foundation
import GRDB
import Testing

@testable import FerryMigration

/// Everything else the legacy row holds reaches the new platform: typed
/// attributes, roles, and a hold for privileged accounts.
struct CarriedAttributesTests {
    static let schema = """
        CREATE TABLE auth_user (id INTEGER PRIMARY KEY, username TEXT, password TEXT, is_staff BOOL NOT NULL,
            is_superuser bool NOT NULL, date_joined DATETIME NOT NULL, department TEXT, score REAL, badge INTEGER,
            note, avatar BLOB);
        CREATE TABLE user_groups (user_id INTEGER, name TEXT);
        INSERT INTO auth_user VALUES (7, 'ada', 'h', 1, 'f', '2020-05-01 10:20:30.123456', 'Research', 4.5, 42, NULL, x'0102');
        INSERT INTO auth_user VALUES (8, 'bob', 'h', 't', 0, 'not a date', NULL, NULL, NULL, 'x', NULL);
        INSERT INTO user_groups VALUES (7, 'editors'), (7, 'admins'), (7, 'editors'), (7, NULL);
        """

    static func source(
        _ path: String, roles: String? = "SELECT name AS role FROM user_groups WHERE user_id = :legacy_id"
    )
        throws -> SQLiteLegacySource
    {
        let text = """
            [server]
            listen = "127.0.0.1:0"
            [legacy]
            database = "sqlite://\(path)"
            user_query = "SELECT id AS legacy_id, username, password AS password_hash, is_staff, is_superuser, date_joined, department, score, badge, note, avatar, 1 AS computed FROM auth_user WHERE username = :identifier"
            \(roles.map { "roles_query = \"\($0)\"" } ?? "")
            """
        let settings = try #require(try ProxyConfig.parse(text, file: "t.conf", baseDirectory: "/tmp").legacy)
        return try SQLiteLegacySource(settings: settings)
    }

    @Test func everyOtherColumnIsCarriedWithItsType() async throws {
        try await withTemporarySQLite(Self.schema) { path, _ in
            let ada = try #require(try await Self.source(path).account(for: "ada"))
            #expect(
                ada.attributes == [
                    "is_staff": .boolean(true), "is_superuser": .boolean(false),
                    "date_joined": .date(Date(timeIntervalSince1970: 1_588_328_430.123456)),
                    "department": .text("Research"), "score": .number(4.5), "badge": .integer(42), "note": .null,
                    "avatar": .text("AQI="), "computed": .integer(1),
                ])
            #expect(ada.roles == ["editors", "admins"], "one per row, in order, duplicates and NULLs dropped")
        }
    }

    /// A value its declared type cannot read names the column and the user.
    @Test func anUnreadableTypedValueIsNamed() async throws {
        try await withTemporarySQLite(Self.schema) { path, _ in
            await #expect(
                throws: LegacySourceError.badRow(
                    "column `date_joined` of legacy user 8 is not a date Ferry can read (Unix seconds or milliseconds, or ISO 8601 such as 2024-05-01 10:20:30.123456+02:00)"
                )
            ) { try await Self.source(path).account(for: "bob") }
            await #expect(
                throws: LegacySourceError.badRow("roles_query must return a `role` column (legacy user 7)")
            ) {
                try await Self.source(path, roles: "SELECT name FROM user_groups WHERE user_id = :legacy_id").account(
                    for: "ada")
            }
        }
    }

    @Test(
        arguments: [
            ("role:admin", HoldRule.role("admin"), nil),
            ("is_staff", .attributeSet("is_staff"), nil),
            ("tier=gold", .attributeEquals("tier", "gold"), nil),
            ("level=", .attributeEquals("level", ""), nil),
            ("role:", nil, "names no role after `role:`"),
            ("is staff", nil, "must be `role:NAME`, an attribute name, or `NAME=VALUE`"),
            ("=1", nil, "must start with an attribute name (letters, digits, `_`)"),
        ] as [(String, HoldRule?, String?)])
    func holdRulesParse(text: String, rule: HoldRule?, problem: String?) {
        let parsed = HoldRule.parse(text)
        #expect(parsed.rule == rule)
        #expect(parsed.problem == problem)
    }

    static let staff: [String: AttributeValue] = [
        "is_staff": .boolean(true), "is_superuser": .boolean(false), "tier": .text("gold"), "level": .integer(3),
        "joined": .date(Date()),
    ]

    @Test(
        arguments: [
            ([], [HoldRule](), true, nil),
            ([], [.attributeSet("is_staff")], true, "held on legacy by hold_on_legacy rule \"is_staff\""),
            ([], [.attributeSet("is_superuser")], true, nil),
            ([], [.attributeSet("missing")], true, nil),
            ([], [.attributeSet("joined")], true, "held on legacy by hold_on_legacy rule \"joined\""),
            ([], [.attributeEquals("tier", "gold")], true, "held on legacy by hold_on_legacy rule \"tier=gold\""),
            ([], [.attributeEquals("level", "3")], true, "held on legacy by hold_on_legacy rule \"level=3\""),
            (
                [], [.attributeEquals("is_staff", "true")], true,
                "held on legacy by hold_on_legacy rule \"is_staff=true\""
            ),
            ([], [.attributeEquals("is_staff", "1")], true, nil),
            (["admins"], [.role("admins")], true, "held on legacy by hold_on_legacy rule \"role:admins\""),
            (["editors"], [.role("admins")], true, nil),
            // Roles the target cannot carry are never dropped silently.
            (
                ["editors"], [], false,
                "the user has roles and the target cannot carry them (set target.role_statements)"
            ),
            ([], [], false, nil),
        ] as [([String], [HoldRule], Bool, String?)])
    func privilegedAccountsAreHeld(roles: [String], rules: [HoldRule], carriesRoles: Bool, reason: String?) {
        #expect(
            PrivilegeHold.reason(roles: roles, attributes: Self.staff, rules: rules, targetCarriesRoles: carriesRoles)
                == reason)
    }

    static let identity = CanonicalIdentity(
        legacyID: "7", username: "ada", credential: .init(passwordHash: "h", legacyScheme: "md5"),
        attributes: [
            "is_staff": .boolean(true), "department": .text("Research"), "badge": .integer(42), "note": .null,
            "date_joined": .date(Date(timeIntervalSince1970: 1_588_328_430.5)),
        ], roles: ["editors", "admins"])

    @Test func theSQLTargetWritesAttributesAndRoles() async throws {
        try await withTemporarySQLite(
            """
            CREATE TABLE accounts (id TEXT PRIMARY KEY, external_id TEXT UNIQUE, staff BOOLEAN, dept TEXT, badge INTEGER,
                note TEXT, joined TEXT, roles TEXT);
            CREATE TABLE account_roles (account_id TEXT, role TEXT);
            """
        ) { path, database in
            let settings = try sqlTargetSettings(
                database: path,
                """
                date_format = "iso8601"
                statements = ["INSERT INTO accounts VALUES (:new_id, :legacy_id, :attr_is_staff, :attr_department, :attr_badge, :attr_note, :attr_date_joined, :roles)"]
                role_statements = ["INSERT INTO account_roles VALUES (:new_id, :role)"]
                """)
            #expect(settings.carriesRoles)
            guard
                case .created = try await SQLTarget(settings: settings).provision(
                    ProvisioningJob(identity: Self.identity))
            else {
                Issue.record("the job creates the user")
                return
            }
            try await database.read { db in
                let row = try #require(try Row.fetchOne(db, sql: "SELECT * FROM accounts"))
                #expect(row["staff"] as Int == 1)
                #expect(row["dept"] as String == "Research")
                #expect(row["badge"] as Int == 42)
                #expect(row["note"] as String? == nil)
                #expect(row["joined"] as String == "2020-05-01T10:20:30.500000Z")
                #expect(row["roles"] as String == "editors,admins")
                #expect(try String.fetchAll(db, sql: "SELECT role FROM account_roles") == ["editors", "admins"])
            }
        }
    }

    /// A job sealed before a column joined `user_query` has no such
    /// attribute: the statement gets NULL rather than failing on every retry.
    @Test func attributeParametersAreFoundInTheStatements() {
        #expect(
            SQLTarget.attributeParameters(
                in: ["INSERT INTO a VALUES (:attr_is_staff, :attr_badge, COALESCE(:attr_joined_sql, 'x'))", ":name"])
                == ["attr_badge", "attr_is_staff", "attr_joined_sql"])
    }

    @Test func scimAndWebhookCarryAttributesAndRoles() throws {
        let mappings = [
            try #require(
                SCIMAttributeMapping.parse(
                    "department = urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
                ).mapping),
            try #require(SCIMAttributeMapping.parse("badge = employeeBadge").mapping),
        ]
        let user = SCIMTarget.resource(Self.identity, attributes: mappings)
        #expect((user["roles"] as? [[String: String]])?.map { $0["value"] } == ["editors", "admins"])
        let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        #expect((user[enterprise] as? [String: Any])?["department"] as? String == "Research")
        #expect((user["schemas"] as? [String])?.contains(enterprise) == true)
        #expect(user["employeeBadge"] as? Int64 == 42)
        let carried = try #require(
            (user[SCIMTarget.extensionSchema] as? [String: Any])?["attributes"] as? [String: Any])
        #expect(carried["is_staff"] as? Bool == true)
        #expect(carried["note"] is NSNull)

        let body = try #require(
            try JSONSerialization.jsonObject(with: WebhookTarget.body(ProvisioningJob(identity: Self.identity)))
                as? [String: Any])
        let webhookUser = try #require(body["user"] as? [String: Any])
        #expect(webhookUser["roles"] as? [String] == ["editors", "admins"])
        let attributes = try #require(webhookUser["attributes"] as? [String: [String: Any]])
        #expect(attributes["is_staff"]?["type"] as? String == "boolean")
        #expect(attributes["is_staff"]?["value"] as? Bool == true)
        #expect(attributes["date_joined"]?["type"] as? String == "date")
        #expect(attributes["date_joined"]?["value"] as? String == "2020-05-01T10:20:30Z")
        #expect(attributes["note"]?["type"] as? String == "null")
    }

    /// A job sealed with attributes opens with the same types.
    @Test func sealedAttributesKeepTheirTypes() throws {
        let sealer = try JobSealer(key: Array(repeating: 7, count: 32))
        let job = ProvisioningJob(identity: Self.identity)
        #expect(sealer.open(sealer.seal(job, identifier: "ada"), identifier: "ada") == job)
    }
}
