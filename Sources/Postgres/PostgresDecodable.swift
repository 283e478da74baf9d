import Foundation

/// A Swift value that can be read from a column in PostgreSQL's text output format.
public protocol PostgresDecodable: Sendable {
    /// Decodes a non-NULL value.
    static func decode(postgresText text: String) throws -> Self
    /// Decodes SQL NULL; only optionals accept it.
    static func decodeNull() throws -> Self
}

extension PostgresDecodable {
    public static func decodeNull() throws -> Self {
        throw PostgresError.decoding("NULL cannot be decoded as \(Self.self)")
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> Self {
        try Wrapped.decode(postgresText: text)
    }
    public static func decodeNull() throws -> Self { nil }
}

extension String: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> String { text }
}

extension Bool: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> Bool {
        switch text {
        case "t", "true": return true
        case "f", "false": return false
        default: throw PostgresError.decoding("not a boolean")
        }
    }
}

/// Integers parse strictly: a numeric column with a fraction is a decoding error, not a truncation.
private func parseInteger<T: FixedWidthInteger>(_ text: String) throws -> T {
    if let value = T(text) { return value }
    // numeric columns print integral values as "12" but may print "12.00" for scaled types.
    if let dot = text.firstIndex(of: "."), text[text.index(after: dot)...].allSatisfy({ $0 == "0" }),
        let value = T(text[..<dot])
    {
        return value
    }
    throw PostgresError.decoding("not a \(T.self)")
}

extension Int: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> Int { try parseInteger(text) }
}

extension Int64: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> Int64 { try parseInteger(text) }
}

extension Int32: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> Int32 { try parseInteger(text) }
}

extension Int16: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> Int16 { try parseInteger(text) }
}

extension Double: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> Double {
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(text) else { throw PostgresError.decoding("not a double") }
            return value
        }
    }
}

extension Decimal: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> Decimal {
        if text == "NaN" { return .nan }
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw PostgresError.decoding("not a numeric")
        }
        return value
    }
}

extension UUID: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> UUID {
        guard let value = UUID(uuidString: text) else { throw PostgresError.decoding("not a uuid") }
        return value
    }
}

extension Date: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> Date {
        switch text {
        case "infinity": return .distantFuture
        case "-infinity": return .distantPast
        default: return try PostgresTimestamp.parse(text)
        }
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    public static func decode(postgresText text: String) throws -> [Element] {
        try PostgresArrayParser.parse(text).map { element in
            guard let element else { return try Element.decodeNull() }
            return try Element.decode(postgresText: element)
        }
    }
}
