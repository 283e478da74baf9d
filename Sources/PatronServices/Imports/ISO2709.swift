import Foundation

/// MARC 21 in ISO 2709 (binary `.mrc`): a 24-byte leader, a directory of 12-byte entries (tag, length,
/// start), then the fields; 0x1E ends a field, 0x1F starts a subfield, 0x1D ends a record.
public enum ISO2709 {
    public struct Malformed: Error, CustomStringConvertible, Sendable {
        public let record: Int
        public let reason: String
        public var description: String { "record \(record): \(reason)" }
    }

    public static func records(_ data: [UInt8]) throws -> [MARCRecord] {
        var records: [MARCRecord] = []
        var offset = 0
        while offset < data.count {
            // Tolerate line ends or padding between records.
            if data[offset] == 0x0A || data[offset] == 0x0D || data[offset] == 0x20 { offset += 1; continue }
            let number = records.count + 1
            guard offset + 24 <= data.count, let length = Int(String(decoding: data[offset..<offset + 5], as: UTF8.self)),
                length >= 24, offset + length <= data.count,
                let base = Int(String(decoding: data[offset + 12..<offset + 17], as: UTF8.self)), base <= length
            else { throw Malformed(record: number, reason: "bad leader") }
            let record = Array(data[offset..<offset + length])
            var fields: [MARCRecord.Field] = []
            var entry = 24
            while entry + 12 <= base - 1, record[entry] != 0x1E {
                let tag = String(decoding: record[entry..<entry + 3], as: UTF8.self)
                guard let fieldLength = Int(String(decoding: record[entry + 3..<entry + 7], as: UTF8.self)),
                    let start = Int(String(decoding: record[entry + 7..<entry + 12], as: UTF8.self)),
                    base + start + fieldLength <= record.count
                else { throw Malformed(record: number, reason: "bad directory entry") }
                let body = record[(base + start)..<(base + start + fieldLength)]
                if !tag.hasPrefix("00") {
                    let parts = body.split(separator: 0x1F, omittingEmptySubsequences: true).dropFirst()
                    let subfields = parts.compactMap { part -> (code: Character, value: String)? in
                        guard let code = part.first else { return nil }
                        let value = part.dropFirst().filter { $0 != 0x1E && $0 != 0x1D }
                        return (Character(UnicodeScalar(code)), String(decoding: value, as: UTF8.self))
                    }
                    fields.append(MARCRecord.Field(tag: tag, subfields: subfields))
                }
                entry += 12
            }
            records.append(MARCRecord(fields: fields))
            offset += length
        }
        return records
    }
}
