import Foundation

extension DecodedJSON: Encodable {
    /// Writes the value back as it was read: integers as integers, null as null.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let values): try container.encode(values)
        case .object(let members): try container.encode(members)
        case .null: try container.encodeNil()
        }
    }
}

extension DecodedJSON {
    /// The path (`a.b.0`) of the first string or key holding U+0000, which PostgreSQL cannot store, or nil.
    public func pathOfNUL(_ prefix: String = "") -> String? {
        func join(_ key: String) -> String { prefix.isEmpty ? key : prefix + "." + key }
        switch self {
        case .string(let text): return text.contains("\u{0}") ? (prefix.isEmpty ? "body" : prefix) : nil
        case .array(let values):
            for (index, value) in values.enumerated() { if let path = value.pathOfNUL(join(String(index))) { return path } }
            return nil
        case .object(let members):
            for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                if key.contains("\u{0}") { return join(key.replacingOccurrences(of: "\u{0}", with: "")) }
                if let path = value.pathOfNUL(join(key)) { return path }
            }
            return nil
        case .bool, .int, .double, .null: return nil
        }
    }
}
