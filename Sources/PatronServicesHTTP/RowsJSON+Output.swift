import Postgres

extension RowsJSON {
    /// Writes through a pointer into space already reserved.
    struct Output {
        let base: UnsafeMutableRawPointer
        var count = 0

        mutating func byte(_ byte: UInt8) {
            base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
            count += 1
        }

        mutating func bytes(_ bytes: UnsafeRawBufferPointer) {
            guard let source = bytes.baseAddress else { return }
            (base + count).copyMemory(from: source, byteCount: bytes.count)
            count += bytes.count
        }

        mutating func text(_ text: StaticString) {
            bytes(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }

        /// One binary value: integers in network byte order, a boolean's byte, a timestamp's microseconds
        /// since 2000-01-01, JSON as its text (`jsonb` after its version byte), text as a JSON string.
        mutating func value(_ value: UnsafeRawBufferPointer, as kind: Kind) {
            switch kind {
            case .int2: decimal(Int64(Int16(bigEndian: value.loadUnaligned(as: Int16.self))))
            case .int4: decimal(Int64(Int32(bigEndian: value.loadUnaligned(as: Int32.self))))
            case .oid:  // a string in PostgreSQL's JSON: oid is not of the numeric category
                byte(UInt8(ascii: "\""))
                decimal(Int64(UInt32(bigEndian: value.loadUnaligned(as: UInt32.self))))
                byte(UInt8(ascii: "\""))
            case .int8: decimal(RowsJSON.int64(value))
            case .boolean: text(value[0] != 0 ? "true" : "false")
            case .timestamptz: timestamp(RowsJSON.int64(value), utcOffset: true)
            case .timestamp: timestamp(RowsJSON.int64(value), utcOffset: false)
            case .json: bytes(value)
            case .jsonb: bytes(UnsafeRawBufferPointer(rebasing: value.dropFirst()))
            case .string: string(value)
            }
        }

        /// At most 20 bytes.
        mutating func decimal(_ value: Int64) {
            if value < 0 { byte(UInt8(ascii: "-")) }
            digits(value.magnitude, width: 1)
        }

        /// `value` in decimal, zero-padded on the left to `width` digits.
        mutating func digits(_ value: UInt64, width: Int) {
            var length = 1
            var rest = value / 10
            while rest > 0 {
                length += 1
                rest /= 10
            }
            length = max(length, width)
            var remaining = value
            for position in stride(from: count + length - 1, through: count, by: -1) {
                base.storeBytes(of: UInt8(ascii: "0") + UInt8(remaining % 10), toByteOffset: position, as: UInt8.self)
                remaining /= 10
            }
            count += length
        }

        /// PostgreSQL's JSON form of a timestamp in a UTC session: `"2026-11-26T08:30:00.5+00:00"`, the
        /// fraction without its trailing zeros and left out when zero, years before 1 as `… BC`, and
        /// `"infinity"` / `"-infinity"`. At most 40 bytes.
        mutating func timestamp(_ microseconds: Int64, utcOffset: Bool) {
            if microseconds == .max { return text("\"infinity\"") }
            if microseconds == .min { return text("\"-infinity\"") }
            let perDay: Int64 = 86_400_000_000
            var days = microseconds / perDay
            var time = microseconds % perDay
            if time < 0 {
                time += perDay
                days -= 1
            }
            let date = CivilDate(daysSinceEpoch: Int(days) + 10_957)  // 2000-01-01 is day 10,957 after 1970-01-01
            let beforeChrist = date.year <= 0
            byte(UInt8(ascii: "\""))
            digits(UInt64(beforeChrist ? 1 - date.year : date.year), width: 4)
            byte(UInt8(ascii: "-"))
            digits(UInt64(date.month), width: 2)
            byte(UInt8(ascii: "-"))
            digits(UInt64(date.day), width: 2)
            byte(UInt8(ascii: "T"))
            let seconds = UInt64(time / 1_000_000)
            digits(seconds / 3600, width: 2)
            byte(UInt8(ascii: ":"))
            digits(seconds / 60 % 60, width: 2)
            byte(UInt8(ascii: ":"))
            digits(seconds % 60, width: 2)
            var fraction = UInt64(time % 1_000_000)
            if fraction > 0 {
                var width = 6
                while fraction % 10 == 0 {
                    fraction /= 10
                    width -= 1
                }
                byte(UInt8(ascii: "."))
                digits(fraction, width: width)
            }
            if utcOffset { text("+00:00") }
            if beforeChrist { text(" BC") }
            byte(UInt8(ascii: "\""))
        }

        mutating func string(_ text: UnsafeRawBufferPointer) {
            byte(UInt8(ascii: "\""))
            var start = 0
            for index in 0..<text.count {
                let byte = text[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes(UnsafeRawBufferPointer(rebasing: text[start..<index]))
                switch byte {
                case UInt8(ascii: "\""): self.text("\\\"")
                case UInt8(ascii: "\\"): self.text("\\\\")
                case 0x08: self.text("\\b")
                case 0x0C: self.text("\\f")
                case 0x0A: self.text("\\n")
                case 0x0D: self.text("\\r")
                case 0x09: self.text("\\t")
                default:
                    let hex: StaticString = "0123456789abcdef"
                    self.text("\\u00")
                    self.byte(hex.utf8Start[Int(byte >> 4)])
                    self.byte(hex.utf8Start[Int(byte & 0x0F)])
                }
                start = index + 1
            }
            bytes(UnsafeRawBufferPointer(rebasing: text[start...]))
            self.byte(UInt8(ascii: "\""))
        }
    }
}
