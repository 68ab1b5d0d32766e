import Foundation
import GRDB

/// Any SQLite value as text: legacy schemas keep ids and flags in every type.
extension DatabaseValue.Storage {
    var textValue: String? {
        switch self {
        case .null: return nil
        case .string(let text): return text
        case .int64(let number): return String(number)
        case .double(let number): return String(number)
        case .blob(let data): return String(data: data, encoding: .utf8)
        }
    }
}
