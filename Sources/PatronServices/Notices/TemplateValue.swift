/// A JSON value as the Mustache renderer wants it: Swift `Bool`, `Int`, `Double`, `String`, arrays and
/// `[String: Any]` dictionaries, JSON null left out (so a section over it does not render). Decoding
/// ourselves keeps booleans booleans (Foundation's JSONSerialization gives NSNumber, which a section
/// would treat as a value, not as true or false).
enum TemplateValue: Decodable {
    case bool(Bool), int(Int), double(Double), string(String), array([TemplateValue]), object([String: TemplateValue]), null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([TemplateValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: TemplateValue].self)) }
    }

    /// The value for `MustacheTemplate.render`.
    var any: Any? {
        switch self {
        case .bool(let value): value
        case .int(let value): value
        case .double(let value): value
        case .string(let value): value
        case .array(let values): values.compactMap(\.any)
        case .object(let members): members.compactMapValues(\.any)
        case .null: nil
        }
    }
}
