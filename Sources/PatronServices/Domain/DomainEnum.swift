import Postgres

/// A closed set of values the API and the SQL functions share (levels, decisions, claims, bill kinds…).
///
/// Decoding an unknown value fails with a message naming the allowed ones (the API answers 422 for
/// that field), and the value binds as its raw text in a statement.
public protocol DomainEnum: RawRepresentable, CaseIterable, Codable, PostgresEncodable, Sendable where RawValue == String {}

extension DomainEnum {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "One of: \(Self.allowed).")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var postgresText: String? { rawValue }

    /// The allowed values, for messages: `a, b or c`.
    public static var allowed: String {
        let values = allCases.map(\.rawValue)
        guard values.count > 1 else { return values.joined() }
        return values.dropLast().joined(separator: ", ") + " or " + values.last!
    }
}
