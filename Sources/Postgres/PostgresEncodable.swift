import Foundation

/// A Swift value that can be sent as a statement parameter.
///
/// Parameters travel in PostgreSQL's text format and the server infers their types from the statement
/// (add a cast such as `$1::uuid` where a statement is ambiguous). `nil` text means SQL NULL.
public protocol PostgresEncodable: Sendable {
    /// The value in PostgreSQL's text input format, or `nil` for NULL.
    var postgresText: String? { get }
    /// The value as an element of an array literal (quoted unless NULL).
    var postgresArrayElement: String { get }
}

extension PostgresEncodable {
    public var postgresArrayElement: String {
        guard let text = postgresText else { return "NULL" }
        // By scalar, not by Character: both escaped characters are ASCII, and grapheme breaking cost a
        // few percent of a request's CPU when staff requests encoded their roles' array each time.
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return "\"" + text + "\"" }
        var quoted = String.UnicodeScalarView()
        quoted.append("\"")
        for scalar in text.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { quoted.append("\\") }
            quoted.append(scalar)
        }
        quoted.append("\"")
        return String(quoted)
    }
}

extension String: PostgresEncodable {
    public var postgresText: String? { self }
}

extension Substring: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Bool: PostgresEncodable {
    public var postgresText: String? { self ? "t" : "f" }
}

extension Int: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Int64: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Int32: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Int16: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Double: PostgresEncodable {
    public var postgresText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self > 0 ? "Infinity" : "-Infinity" }
        return "\(self)"
    }
}

extension Decimal: PostgresEncodable {
    public var postgresText: String? { isNaN ? "NaN" : "\(self)" }
}

extension UUID: PostgresEncodable {
    public var postgresText: String? { uuidString.lowercased() }
}

extension Date: PostgresEncodable {
    /// ISO 8601 in UTC with microseconds, which `timestamptz` reads whatever the session's TimeZone.
    public var postgresText: String? {
        if self == .distantFuture { return "infinity" }
        if self == .distantPast { return "-infinity" }
        return PostgresTimestamp.format(self)
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresText: String? { self.flatMap { $0.postgresText } }
}

extension Array: PostgresEncodable where Element: PostgresEncodable {
    /// A one-dimensional array literal such as `{"a","b",NULL}`.
    public var postgresText: String? {
        "{" + map(\.postgresArrayElement).joined(separator: ",") + "}"
    }
}
