import Foundation

/// A `json`/`jsonb` value, kept as its text; decode it into a `Decodable` with ``decode(_:)``.
public struct PostgresJSON: Hashable, Sendable, PostgresEncodable, PostgresDecodable {
    public var text: String
    public init(text: String) { self.text = text }

    /// Encodes an `Encodable` value as JSON text.
    public init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    public var postgresText: String? { text }
    public static func decode(postgresText text: String) throws -> PostgresJSON { PostgresJSON(text: text) }
}
