/// Finds a key written twice in one JSON object.
///
/// JSON parsers disagree on `{"username":"a","username":"victim"}`: some keep
/// the first, most the last. Ferry and the platform behind it must judge the
/// same user, so a login body with a repeated key is refused. Keys are compared
/// after their escapes are decoded (`"user\u006eame"` is `username`).
enum JSONDuplicateKeys {
    /// The first repeated key of any object in `json`, or nil. Malformed JSON
    /// gives nil (the caller has already parsed it).
    static func first(in json: [UInt8]) -> String? {
        enum Frame {
            case object(keys: Set<String>, expectingKey: Bool)
            case array
        }
        var stack: [Frame] = []
        var index = 0
        while index < json.count {
            let byte = json[index]
            switch byte {
            case UInt8(ascii: "{"):
                stack.append(.object(keys: [], expectingKey: true))
            case UInt8(ascii: "["):
                stack.append(.array)
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
            case UInt8(ascii: ","):
                if case .object(let keys, _)? = stack.last {
                    stack[stack.count - 1] = .object(keys: keys, expectingKey: true)
                }
            case UInt8(ascii: "\""):
                guard let (text, end) = string(json, from: index) else { return nil }
                index = end
                if case .object(var keys, true)? = stack.last {
                    if !keys.insert(text).inserted { return text }
                    stack[stack.count - 1] = .object(keys: keys, expectingKey: false)
                }
                continue
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// The decoded string starting at the quote at `start`, and the index after its closing quote.
    private static func string(_ json: [UInt8], from start: Int) -> (String, Int)? {
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        var index = start + 1
        func flush() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll()
        }
        while index < json.count {
            let byte = json[index]
            if byte == UInt8(ascii: "\"") {
                flush()
                return (String(scalars), index + 1)
            }
            guard byte == UInt8(ascii: "\\") else {
                raw.append(byte)
                index += 1
                continue
            }
            guard index + 1 < json.count else { return nil }
            let escaped = json[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "b"): raw.append(0x08)
            case UInt8(ascii: "f"): raw.append(0x0C)
            case UInt8(ascii: "n"): raw.append(0x0A)
            case UInt8(ascii: "r"): raw.append(0x0D)
            case UInt8(ascii: "t"): raw.append(0x09)
            case UInt8(ascii: "u"):
                guard var code = hex4(json, at: index) else { return nil }
                index += 4
                // A high surrogate followed by `\uDC00`–`\uDFFF` is one scalar.
                if (0xD800...0xDBFF).contains(code), index + 6 <= json.count, json[index] == UInt8(ascii: "\\"),
                    json[index + 1] == UInt8(ascii: "u"), let low = hex4(json, at: index + 2),
                    (0xDC00...0xDFFF).contains(low)
                {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                flush()
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default: raw.append(escaped)
            }
        }
        return nil
    }

    private static func hex4(_ json: [UInt8], at index: Int) -> UInt32? {
        guard index + 4 <= json.count else { return nil }
        var value: UInt32 = 0
        for byte in json[index..<(index + 4)] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
