import Foundation
import GRDB
import GRDBSQLite

/// What the legacy row holds beyond Ferry's canonical aliases: every other
/// `user_query` column becomes a typed attribute, and `roles_query` the
/// user's roles, so that nothing the row says about the user (a staff flag, a
/// customer number, a group) is dropped on the way to the new platform.
extension SQLiteLegacySource {
    /// The `user_query` aliases that fill the canonical record itself.
    static let canonicalAliases: Set<String> = [
        "legacy_id", "username", "email", "phone", "email_verified", "password_hash", "salt", "status", "given_name",
        "family_name", "locale", "created_at", "last_login_at",
    ]

    /// Each result column's declared type (`BOOL`, `DATETIME`, …) where it
    /// comes straight from a table column; SQLite stores booleans and dates
    /// as numbers or text, and only the declaration says which they are.
    static func declaredTypes(_ statement: Statement) -> [String: String] {
        var types: [String: String] = [:]
        for (index, name) in statement.columnNames.enumerated() {
            if let type = sqlite3_column_decltype(statement.sqliteStatement, Int32(index)) {
                types[name] = String(cString: type)
            }
        }
        return types
    }

    /// The non-canonical columns of `row`, typed by declaration (a boolean or
    /// date type) or else by what SQLite stored. A value its declared type
    /// cannot read is an error naming the column and the user.
    static func attributes(_ row: Row, declaredTypes: [String: String], of legacyID: String) throws -> [String:
        AttributeValue]
    {
        let owner = "legacy user \(legacyID)"
        var attributes: [String: AttributeValue] = [:]
        for column in row.columnNames where !canonicalAliases.contains(column) && attributes[column] == nil {
            let declared = declaredTypes[column]?.uppercased() ?? ""
            let value: DatabaseValue = row[column]
            if value.isNull {
                attributes[column] = .null
            } else if declared.contains("BOOL") {
                attributes[column] = try boolean(row, column, of: owner).map(AttributeValue.boolean) ?? .null
            } else if declared.contains("DATE") || declared.contains("TIME") {
                attributes[column] = try date(row, column, of: owner).map(AttributeValue.date) ?? .null
            } else {
                switch value.storage {
                case .int64(let number): attributes[column] = .integer(number)
                case .double(let number): attributes[column] = .number(number)
                case .string(let text): attributes[column] = .text(text)
                // Bytes have no common text form a target would agree on.
                case .blob(let data): attributes[column] = .text(data.base64EncodedString())
                case .null: attributes[column] = .null
                }
            }
        }
        return attributes
    }

    /// `roles_query` rows: a `role` column, one role per row, duplicates and
    /// NULLs dropped, order kept.
    static func roles(_ rows: [Row], of legacyID: String) throws -> [String] {
        var roles: [String] = []
        for row in rows {
            guard row.hasColumn("role") else {
                throw LegacySourceError.badRow("roles_query must return a `role` column (legacy user \(legacyID))")
            }
            if let role = text(row, "role"), !roles.contains(role) { roles.append(role) }
        }
        return roles
    }
}
