import Foundation

/// Strict ISO 8601 date-times for request bodies: `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`, a real calendar
/// date (2024-02-30 is refused, not rolled over into March), years 1900 to 9999.
enum StrictDate {
    static func parse(_ text: String) -> Date? {
        // A Regex is not Sendable, so each call builds its own (a literal: compiled with the code).
        let pattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/
        guard let match = text.wholeMatch(of: pattern) else { return nil }
        guard let year = Int(match.1), let month = Int(match.2), let day = Int(match.3),
            let hour = Int(match.4), let minute = Int(match.5), let second = Int(match.6),
            (1900...9999).contains(year), hour < 24, minute < 60, second < 60
        else { return nil }
        var offset = 0
        if match.8 != "Z" {
            let sign = match.8.first == "-" ? -1 : 1
            let parts = match.8.dropFirst().split(separator: ":").compactMap { Int($0) }
            guard parts.count == 2, parts[0] < 24, parts[1] < 60 else { return nil }
            offset = sign * (parts[0] * 3600 + parts[1] * 60)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        let fraction = match.7.map { Double("0" + $0) ?? 0 } ?? 0
        return date.addingTimeInterval(fraction - Double(offset))
    }
}
