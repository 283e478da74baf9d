import NIOCore
import Postgres

/// Writes result rows as JSON objects straight from libpq's text, as PostgreSQL's `json_agg` of the same
/// rows would: a report page of 500 bills costs about 0.15 ms here against 0.9 ms of PostgreSQL's time
/// for `json_agg` (PostgreSQL 15 looks up each value's type category and output function again for every
/// row). Keys are the column names; integers, booleans and JSON are written as they are, timestamps in
/// ISO 8601 with a `T` and a full `+HH:MM` offset (the connection's DateStyle is ISO), everything else
/// as an escaped string.
enum RowsJSON {
    enum Kind { case number, boolean, timestamp, json, string }

    /// How a column of type `oid` is written.
    static func kind(ofType oid: UInt32) -> Kind {
        switch oid {
        case 20, 21, 23, 26: .number  // int8, int2, int4, oid
        case 16: .boolean
        case 1114, 1184: .timestamp  // timestamp, timestamptz
        case 114, 3802: .json
        default: .string
        }
    }

    /// `[{"column":value,…},…]` for every row of `rows`.
    ///
    /// The space the rows can take at most (every byte escaped as `\u00XX`) is reserved first and then
    /// written through one pointer: through `ByteBuffer`'s own writes, the reference counting and
    /// exclusivity checks of each of a page's 7,500 values cost more than the JSON (1 ms a page).
    static func writeArray(_ rows: PostgresRawResult, into buffer: inout ByteBuffer) {
        let kinds = (0..<rows.columnCount).map { kind(ofType: rows.columnType($0)) }
        // Each key with what goes before it: `{"billId":` for the first, `,"institutionId":` after.
        var keyText = ByteBuffer()
        var keyEnds: [Int] = []
        for column in 0..<rows.columnCount {
            keyText.writeString(column == 0 ? "{" : ",")
            Array(rows.columnName(column).utf8).withUnsafeBytes { writeString($0, into: &keyText) }
            keyText.writeString(":")
            keyEnds.append(keyText.readableBytes)
        }
        let keys = Array(keyText.readableBytesView)
        var bound = 2
        for row in 0..<rows.rowCount {
            bound += keys.count + 3  // the keys, and `,` `{` `}`
            for column in 0..<rows.columnCount { bound += 6 * rows.bytes(row, column).count + 8 }
        }
        _ = keys.withUnsafeBytes { keys in
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { target in
                var out = Output(base: target.baseAddress!)
                out.byte(UInt8(ascii: "["))
                for row in 0..<rows.rowCount {
                    if row > 0 { out.byte(UInt8(ascii: ",")) }
                    var keyStart = 0
                    for column in 0..<rows.columnCount {
                        out.bytes(UnsafeRawBufferPointer(rebasing: keys[keyStart..<keyEnds[column]]))
                        keyStart = keyEnds[column]
                        if rows.isNull(row, column) {
                            out.text("null")
                        } else {
                            out.value(rows.bytes(row, column), as: kinds[column])
                        }
                    }
                    if rows.columnCount == 0 { out.byte(UInt8(ascii: "{")) }
                    out.byte(UInt8(ascii: "}"))
                }
                out.byte(UInt8(ascii: "]"))
                precondition(out.count <= bound, "the rows' JSON outgrew its bound")
                return out.count
            }
        }
    }

    static func write(_ text: UnsafeRawBufferPointer, as kind: Kind, into buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 6 * text.count + 8) { target in
            var out = Output(base: target.baseAddress!)
            out.value(text, as: kind)
            return out.count
        }
    }

    /// A JSON string, escaped as PostgreSQL's `escape_json` does: quotes, backslashes and control characters.
    static func writeString(_ text: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        write(text, as: .string, into: &buffer)
    }

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

        mutating func value(_ text: UnsafeRawBufferPointer, as kind: Kind) {
            switch kind {
            case .number, .json: bytes(text)
            case .boolean: self.text(text.first == UInt8(ascii: "t") ? "true" : "false")
            case .timestamp: timestamp(text)
            case .string: string(text)
            }
        }

        /// `2026-11-26 08:30:00.5+00` as `"2026-11-26T08:30:00.5+00:00"`, PostgreSQL's JSON form. Infinite
        /// and BC timestamps (which no column of ours holds) are written as their text.
        mutating func timestamp(_ text: UnsafeRawBufferPointer) {
            guard text.count >= 19, text[10] == UInt8(ascii: " "), text.last != UInt8(ascii: "C") else { return string(text) }
            byte(UInt8(ascii: "\""))
            bytes(UnsafeRawBufferPointer(rebasing: text[0..<10]))
            byte(UInt8(ascii: "T"))
            bytes(UnsafeRawBufferPointer(rebasing: text[11...]))
            // The offset's sign is the last + or - of the time; ISO DateStyle leaves out its minutes when zero.
            if let sign = text[19...].lastIndex(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }), text.count - sign == 3 {
                self.text(":00")
            }
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
