import Foundation

/// A MARC 21 record as the holdings import reads it: data fields with their subfields (control fields
/// and indicators are not needed).
public struct MARCRecord: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public var tag: String
        public var subfields: [(code: Character, value: String)]

        public init(tag: String, subfields: [(code: Character, value: String)]) {
            self.tag = tag
            self.subfields = subfields
        }

        public func first(_ code: Character) -> String? { subfields.first { $0.code == code }?.value }

        public static func == (a: Field, b: Field) -> Bool {
            a.tag == b.tag && a.subfields.map { "\($0.code)\($0.value)" } == b.subfields.map { "\($0.code)\($0.value)" }
        }
    }

    public var fields: [Field]

    public init(fields: [Field]) { self.fields = fields }

    public func fields(_ tag: String) -> [Field] { fields.filter { $0.tag == tag } }

    /// One item row per 876 with a ‡p barcode: its ‡c cost, the record's first 852 ‡b location (the
    /// 876's own 852 when a ‡8 link names one), and the 245 ‡a ‡b title.
    public var holdingRows: [(barcode: String, title: String, location: String, cost: String)] {
        let title = fields("245").first.map { field in
            field.subfields.filter { $0.code == "a" || $0.code == "b" }.map(\.value).joined(separator: " ")
                .trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: " /:;,."))
        } ?? ""
        let locations = fields("852")
        return fields("876").compactMap { item in
            guard let barcode = item.first("p") else { return nil }
            let link = item.first("8").map { String($0.prefix { $0 != "." }) }
            let location = locations.first { link != nil && $0.first("8").map { String($0.prefix { $0 != "." }) } == link } ?? locations.first
            return (barcode, title, location?.first("b") ?? "", item.first("c") ?? "")
        }
    }
}
