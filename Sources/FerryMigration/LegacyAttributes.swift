import FerryStore
import Foundation

/// What the legacy row holds beyond Ferry's canonical aliases: every other
/// `user_query` column becomes a typed attribute, and `roles_query` the
/// user's roles, so that nothing the row says about the user (a staff flag, a
/// customer number, a group) is dropped on the way to the new platform.
extension LegacyRows {
    /// The `user_query` aliases that fill the canonical record itself.
    static let canonicalAliases: Set<String> = [
        "legacy_id", "username", "email", "phone", "email_verified", "password_hash", "salt", "status", "given_name",
        "family_name", "locale", "created_at", "last_login_at",
    ]

    /// The non-canonical columns of `row`, typed by the engine (PostgreSQL's
    /// booleans and timestamps), by SQLite's declaration (a boolean or date
    /// type), or else by what was stored. A value its declared type cannot
    /// read is an error naming the column and the user.
    static func attributes(_ row: QueryRow, of legacyID: String) throws -> [String: AttributeValue] {
        let owner = "legacy user \(legacyID)"
        var attributes: [String: AttributeValue] = [:]
        for column in row.columnNames where !canonicalAliases.contains(column) && attributes[column] == nil {
            let declared = row.declaredType(column)?.uppercased() ?? ""
            let value = row[column]
            if value.isNull {
                attributes[column] = .null
            } else if declared.contains("BOOL") {
                attributes[column] = try boolean(row, column, of: owner).map(AttributeValue.boolean) ?? .null
            } else if declared.contains("DATE") || declared.contains("TIME") {
                attributes[column] = try date(row, column, of: owner).map(AttributeValue.date) ?? .null
            } else {
                switch value {
                case .integer(let number): attributes[column] = .integer(number)
                case .real(let number): attributes[column] = .number(number)
                case .text(let text): attributes[column] = .text(text)
                case .boolean(let flag): attributes[column] = .boolean(flag)
                case .date(let date): attributes[column] = .date(date)
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
    static func roles(_ rows: [QueryRow], of legacyID: String) throws -> [String] {
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
