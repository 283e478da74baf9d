extension DecodedJSON {
    /// The value for `MustacheTemplate.render`: Swift `Bool`, `Int`, `Double`, `String`, arrays and
    /// `[String: Any]` dictionaries, JSON null left out (so a section over it does not render).
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
