/// A JSON value decoded with its kinds kept apart: booleans stay booleans and integers stay integers
/// (Foundation's JSONSerialization gives NSNumber for all three, which on Linux cannot tell them apart).
/// Notice templates render it (``DecodedJSON/any``); the test suite's contract checker validates it.
public enum DecodedJSON: Decodable, Sendable {
    case bool(Bool), int(Int), double(Double), string(String), array([DecodedJSON]), object([String: DecodedJSON]), null

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([DecodedJSON].self) { self = .array(value) }
        else { self = .object(try container.decode([String: DecodedJSON].self)) }
    }
}
