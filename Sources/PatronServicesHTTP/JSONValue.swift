import Foundation

/// Any JSON value, for settings whose type the database checks.
enum JSONValue: Codable, Sendable, Equatable {
    case bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value == value.rounded(), abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue {
    /// The path (`a.b.0`) of the first string or key holding U+0000, or nil.
    func pathOfNUL(_ prefix: String = "") -> String? {
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
        case .bool, .number: return nil
        }
    }
}
