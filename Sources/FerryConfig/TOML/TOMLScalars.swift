/// The grammar of TOML's bare scalars — integers, floats, dates and times —
/// as pure functions of the token the parser cut out.
enum TOMLScalars {
    /// A decimal, hexadecimal (`0x`), octal (`0o`) or binary (`0b`) integer,
    /// with `_` only between digits; nil when malformed or out of range.
    static func integer(_ token: String) -> Int? {
        var text = Substring(token)
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where text.hasPrefix(prefix) {
            let digits = text.dropFirst(2)
            guard digitsWithUnderscores(digits, radix: radix) else { return nil }
            return Int(digits.replacingOccurrences("_"), radix: radix)
        }
        var negative = false
        if let sign = text.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            text = text.dropFirst()
        }
        guard digitsWithUnderscores(text, radix: 10), !hasLeadingZero(text) else { return nil }
        return Int((negative ? "-" : "") + text.replacingOccurrences("_"))
    }

    /// A token shaped like a decimal integer, for telling "out of range" from "malformed".
    static func looksLikeInteger(_ token: String) -> Bool {
        var text = Substring(token)
        if let sign = text.first, sign == "+" || sign == "-" { text = text.dropFirst() }
        return digitsWithUnderscores(text, radix: 10) && !hasLeadingZero(text)
    }

    /// A float: an integer part, then a fraction, an exponent or both; or `inf`/`nan`.
    static func float(_ token: String) -> Double? {
        var text = Substring(token)
        var sign = ""
        if let first = text.first, first == "+" || first == "-" {
            sign = first == "-" ? "-" : ""
            text = text.dropFirst()
        }
        if text == "inf" { return sign == "-" ? -.infinity : .infinity }
        if text == "nan" { return .nan }
        let exponentStart = text.firstIndex(where: { $0 == "e" || $0 == "E" })
        let mantissa = text[..<(exponentStart ?? text.endIndex)]
        var integerPart = mantissa
        var fraction: Substring?
        if let dot = mantissa.firstIndex(of: ".") {
            integerPart = mantissa[..<dot]
            fraction = mantissa[mantissa.index(after: dot)...]
        }
        guard digitsWithUnderscores(integerPart, radix: 10), !hasLeadingZero(integerPart) else { return nil }
        if let fraction, !digitsWithUnderscores(fraction, radix: 10) { return nil }
        if let exponentStart {
            var exponent = text[text.index(after: exponentStart)...]
            if let first = exponent.first, first == "+" || first == "-" { exponent = exponent.dropFirst() }
            guard digitsWithUnderscores(exponent, radix: 10) else { return nil }
        } else if fraction == nil {
            return nil
        }
        return Double(sign + text.replacingOccurrences("_"))
    }

    /// An offset date-time, local date-time, local date or local time (RFC 3339 shapes).
    static func isDateTime(_ token: String) -> Bool {
        let bytes = Array(token.utf8)
        if isTime(bytes[...]) { return true }
        guard bytes.count >= 10, isDate(bytes[0..<10]) else { return false }
        if bytes.count == 10 { return true }
        guard [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(bytes[10]) else { return false }
        var time = bytes[11...]
        if time.last == UInt8(ascii: "Z") || time.last == UInt8(ascii: "z") {
            time = time.dropLast()
        } else if time.count >= 6, [UInt8(ascii: "+"), UInt8(ascii: "-")].contains(time[time.endIndex - 6]) {
            let offset = time[(time.endIndex - 5)...]
            guard twoDigits(offset.prefix(2), max: 23), offset.dropFirst(2).first == UInt8(ascii: ":"),
                twoDigits(offset.suffix(2), max: 59)
            else { return false }
            time = time.dropLast(6)
        }
        return isTime(time)
    }

    private static func isDate(_ bytes: ArraySlice<UInt8>) -> Bool {
        let start = bytes.startIndex
        return bytes[start..<(start + 4)].allSatisfy(isASCIIDigit) && bytes[start + 4] == UInt8(ascii: "-")
            && bytes[start + 7] == UInt8(ascii: "-") && twoDigits(bytes[(start + 5)..<(start + 7)], max: 12, min: 1)
            && twoDigits(bytes[(start + 8)..<(start + 10)], max: 31, min: 1)
    }

    /// `HH:MM:SS` with an optional fraction.
    private static func isTime(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard bytes.count >= 8 else { return false }
        let start = bytes.startIndex
        guard twoDigits(bytes[start..<(start + 2)], max: 23), bytes[start + 2] == UInt8(ascii: ":"),
            twoDigits(bytes[(start + 3)..<(start + 5)], max: 59), bytes[start + 5] == UInt8(ascii: ":"),
            twoDigits(bytes[(start + 6)..<(start + 8)], max: 60)
        else { return false }
        let rest = bytes[(start + 8)...]
        if rest.isEmpty { return true }
        return rest.first == UInt8(ascii: ".") && rest.count > 1 && rest.dropFirst().allSatisfy(isASCIIDigit)
    }

    private static func twoDigits(_ bytes: ArraySlice<UInt8>, max: Int, min: Int = 0) -> Bool {
        guard bytes.count == 2, bytes.allSatisfy(isASCIIDigit) else { return false }
        let value =
            Int(bytes[bytes.startIndex] - UInt8(ascii: "0")) * 10 + Int(bytes[bytes.startIndex + 1] - UInt8(ascii: "0"))
        return (min...max).contains(value)
    }

    private static func isASCIIDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Digits of `radix`, at least one, with each `_` between two digits.
    private static func digitsWithUnderscores(_ text: Substring, radix: Int) -> Bool {
        guard let first = text.first, let last = text.last, first != "_", last != "_" else { return false }
        var previousWasUnderscore = false
        for character in text {
            if character == "_" {
                if previousWasUnderscore { return false }
                previousWasUnderscore = true
                continue
            }
            previousWasUnderscore = false
            guard character.isASCII, character.hexDigitValue.map({ $0 < radix }) == true else { return false }
        }
        return true
    }

    private static func hasLeadingZero(_ digits: Substring) -> Bool {
        digits.count > 1 && digits.first == "0"
    }
}

extension Substring {
    fileprivate func replacingOccurrences(_ character: Character) -> String {
        String(filter { $0 != character })
    }
}
