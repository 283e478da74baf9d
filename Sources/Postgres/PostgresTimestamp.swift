import Foundation

/// Reads and writes `timestamptz` text with microsecond precision, without `DateFormatter`
/// (which is slow and locale-sensitive).
enum PostgresTimestamp {
    static func format(_ date: Date) -> String {
        let totalMicros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        var seconds = Int64((totalMicros / 1_000_000).rounded(.down))
        var micros = Int64(totalMicros) - seconds * 1_000_000
        if micros < 0 {
            micros += 1_000_000
            seconds -= 1
        }
        let civil = CivilDate(daysSinceEpoch: Int(seconds.floorDivided(by: 86_400)))
        let secondOfDay = Int(seconds - seconds.floorDivided(by: 86_400) * 86_400)
        return civil.description
            + " " + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
            + "." + pad(Int(micros), 6) + "+00"
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff](+|-)HH[:MM[:SS]]`, the ISO DateStyle output.
    static func parse(_ text: String) throws -> Date {
        let utf8 = Array(text.utf8)
        var index = 0
        func number(_ digits: Int) throws -> Int {
            guard index + digits <= utf8.count else { throw PostgresError.decoding("bad timestamp") }
            var value = 0
            for _ in 0..<digits {
                let byte = utf8[index]
                guard byte >= 48, byte <= 57 else { throw PostgresError.decoding("bad timestamp") }
                value = value * 10 + Int(byte - 48)
                index += 1
            }
            return value
        }
        func expect(_ byte: UInt8) throws {
            guard index < utf8.count, utf8[index] == byte else { throw PostgresError.decoding("bad timestamp") }
            index += 1
        }
        var yearDigits = 0
        while index + yearDigits < utf8.count, utf8[index + yearDigits] != UInt8(ascii: "-") { yearDigits += 1 }
        let year = try number(yearDigits)
        try expect(UInt8(ascii: "-"))
        let month = try number(2)
        try expect(UInt8(ascii: "-"))
        let day = try number(2)
        try expect(UInt8(ascii: " "))
        let hour = try number(2)
        try expect(UInt8(ascii: ":"))
        let minute = try number(2)
        try expect(UInt8(ascii: ":"))
        let second = try number(2)
        var micros = 0
        if index < utf8.count, utf8[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < utf8.count, utf8[index] >= 48, utf8[index] <= 57 {
                if digits < 6 { micros = micros * 10 + Int(utf8[index] - 48) }
                digits += 1
                index += 1
            }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        var offset = 0
        if index < utf8.count {
            let sign = utf8[index] == UInt8(ascii: "-") ? -1 : 1
            guard utf8[index] == UInt8(ascii: "+") || utf8[index] == UInt8(ascii: "-") else {
                throw PostgresError.decoding("bad timestamp")
            }
            index += 1
            offset = try number(2) * 3600
            if index < utf8.count {
                try expect(UInt8(ascii: ":"))
                offset += try number(2) * 60
            }
            if index < utf8.count {
                try expect(UInt8(ascii: ":"))
                offset += try number(2)
            }
            offset *= sign
        }
        guard index == utf8.count else { throw PostgresError.decoding("bad timestamp") }
        let days = CivilDate(year: year, month: month, day: day).daysSinceEpoch
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offset)
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
