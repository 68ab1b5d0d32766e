import FerryConfig
import Foundation
import GRDB

/// Dates as legacy databases store them, read without loss, and written in
/// the form a new platform's table stores.
///
/// Read: Unix seconds or milliseconds (a number too large to be seconds is
/// milliseconds); ISO 8601 with `T` or a space between date and time, with
/// or without an offset (none means UTC), with up to nine fractional digits;
/// a bare `YYYY-MM-DD` (midnight UTC). Anything else is not a date: the
/// caller reports it, never a silent NULL.
enum LegacyDate {
    /// Seconds beyond this are milliseconds: as seconds it would be the year 5138.
    static let millisecondsFrom = 100_000_000_000.0

    static func fromUnix(_ number: Double) -> Date? {
        guard number.isFinite else { return nil }
        return Date(timeIntervalSince1970: abs(number) >= millisecondsFrom ? number / 1000 : number)
    }

    static func parse(_ text: String) -> Date? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if let number = Double(text), text.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" }) {
            return fromUnix(number)
        }
        var scanner = DateScanner(Array(text.utf8))
        guard let year = scanner.digits(4), scanner.take("-"), let month = scanner.digits(2), scanner.take("-"),
            let day = scanner.digits(2)
        else { return nil }
        var components = DateComponents(
            calendar: Self.calendar, timeZone: TimeZone(identifier: "UTC"), year: year, month: month, day: day)
        var fraction = 0.0
        var offset = 0
        if !scanner.atEnd {
            guard scanner.take("T") || scanner.take("t") || scanner.take(" "), let hour = scanner.digits(2),
                scanner.take(":"), let minute = scanner.digits(2)
            else { return nil }
            components.hour = hour
            components.minute = minute
            components.second = 0
            if scanner.take(":") {
                guard let second = scanner.digits(2) else { return nil }
                components.second = second
                if scanner.take(".") || scanner.take(",") {
                    guard let digits = scanner.fraction(), digits.count <= 9 else { return nil }
                    fraction = Double("0.\(digits)") ?? 0
                }
            }
            if scanner.take("Z") || scanner.take("z") {
            } else if let sign = scanner.sign() {
                guard let hours = scanner.digits(2) else { return nil }
                _ = scanner.take(":")
                let minutes = scanner.digits(2) ?? 0
                guard hours <= 23, minutes <= 59 else { return nil }
                offset = sign * (hours * 3600 + minutes * 60)
            }
            guard scanner.atEnd else { return nil }
        }
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(components.hour ?? 0),
            (0...59).contains(components.minute ?? 0), (0...60).contains(components.second ?? 0),
            components.isValidDate, let date = components.date
        else { return nil }
        return date.addingTimeInterval(fraction - Double(offset))
    }

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}

extension TargetSettings.DateFormat {
    /// The date as this form writes it, to whole microseconds: Unix seconds as
    /// a number, `2024-05-01T10:20:30.123456Z`, or `2024-05-01 10:20:30.123456`
    /// (UTC, what `DATETIME(6)` and `TIMESTAMP` columns take).
    func value(_ date: Date) -> any DatabaseValueConvertible {
        // Whole microseconds: the stored value, not the binary fraction near it.
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        switch self {
        case .unix: return micros / 1_000_000
        case .iso8601, .sql:
            let seconds = (micros / 1_000_000).rounded(.down)
            let rest = Int(micros - seconds * 1_000_000)
            let parts = LegacyDate.calendar.dateComponents(
                [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds))
            let date = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
            let time = String(
                format: "%02d:%02d:%02d.%06d", parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0, rest)
            return self == .sql ? "\(date) \(time)" : "\(date)T\(time)Z"
        }
    }
}

/// Reads a date's parts from UTF-8 bytes, one token at a time.
private struct DateScanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    mutating func take(_ character: Character) -> Bool {
        guard index < bytes.count, bytes[index] == character.asciiValue else { return false }
        index += 1
        return true
    }

    mutating func digits(_ count: Int) -> Int? {
        guard index + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[index..<index + count] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        index += count
        return value
    }

    mutating func fraction() -> String? {
        let start = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
    }

    mutating func sign() -> Int? {
        if take("+") { return 1 }
        if take("-") { return -1 }
        return nil
    }
}
