import Foundation

/// A holdings file as CSV for the staging table: MARCXML (starts with `<`), ISO 2709 (starts with a
/// five-digit record length), or CSV as is. MARC rows carry the record number, which rejects name.
public enum HoldingsFile {
    public static func csv(_ data: Data) throws -> String {
        let head = data.prefix(64).drop { $0 == 0xEF || $0 == 0xBB || $0 == 0xBF || $0 == 0x20 || $0 == 0x0A || $0 == 0x0D }
        let records: [MARCRecord]
        if head.first == UInt8(ascii: "<") {
            records = try MARCXML.records(data)
        } else if head.count >= 5, head.prefix(5).allSatisfy({ (0x30...0x39).contains($0) }), data.contains(0x1D) {
            records = try ISO2709.records(Array(data))
        } else {
            guard let text = String(data: data, encoding: .utf8) else { throw ISO2709.Malformed(record: 0, reason: "not UTF-8 text") }
            return text
        }
        guard !records.isEmpty else { throw ISO2709.Malformed(record: 0, reason: "no MARC records in the file") }
        var lines = ["record,barcode,title,location,cost"]
        for (index, record) in records.enumerated() {
            for row in record.holdingRows {
                lines.append([String(index + 1), row.barcode, row.title, row.location, row.cost].map(Self.quoted).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func quoted(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
