import Foundation

/// A value of a legacy column that is not one of Ferry's canonical aliases
/// (a department, an `is_staff` flag, a customer number), carried with its
/// type so that a target writes a boolean as a boolean and a date in its own
/// date form.
///
/// Encoded as `{"type": "boolean", "value": true}`: the webhook's receiver
/// and a sealed job read back the same type (a bare JSON string could be a
/// date or text, a number an integer or a date).
public enum AttributeValue: Equatable, Sendable, Codable {
    case text(String)
    case integer(Int64)
    case number(Double)
    case boolean(Bool)
    case date(Date)
    case null

    /// Whether a rule such as `hold_on_legacy = ["is_staff"]` sees the value as
    /// set: true, a non-zero number, non-empty text, any date.
    public var isSet: Bool {
        switch self {
        case .boolean(let value): return value
        case .integer(let value): return value != 0
        case .number(let value): return value != 0
        case .text(let value): return !value.isEmpty
        case .date: return true
        case .null: return false
        }
    }

    /// The value as a rule compares it: `true`/`false`, decimal numbers, the
    /// text itself; nil for dates and null, which rules compare only as set.
    public var ruleText: String? {
        switch self {
        case .boolean(let value): return value ? "true" : "false"
        case .integer(let value): return String(value)
        case .number(let value): return String(value)
        case .text(let value): return value
        case .date, .null: return nil
        }
    }

    private enum CodingKeys: String, CodingKey { case type, value }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .text(let value):
            try container.encode("text", forKey: .type)
            try container.encode(value, forKey: .value)
        case .integer(let value):
            try container.encode("integer", forKey: .type)
            try container.encode(value, forKey: .value)
        case .number(let value):
            try container.encode("number", forKey: .type)
            try container.encode(value, forKey: .value)
        case .boolean(let value):
            try container.encode("boolean", forKey: .type)
            try container.encode(value, forKey: .value)
        case .date(let value):
            try container.encode("date", forKey: .type)
            try container.encode(value, forKey: .value)
        case .null:
            try container.encode("null", forKey: .type)
            try container.encodeNil(forKey: .value)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "text": self = .text(try container.decode(String.self, forKey: .value))
        case "integer": self = .integer(try container.decode(Int64.self, forKey: .value))
        case "number": self = .number(try container.decode(Double.self, forKey: .value))
        case "boolean": self = .boolean(try container.decode(Bool.self, forKey: .value))
        case "date": self = .date(try container.decode(Date.self, forKey: .value))
        case "null": self = .null
        case let type:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "unknown attribute type \(type)")
        }
    }
}
