/// A statement and its parameters.
///
/// Interpolated values become `$n` parameters, never SQL text, so a query written as
/// `"select name from patron where id = \(id)"` cannot be injected. Use `\(unescaped:)` only for
/// trusted identifiers and keywords chosen by the code itself.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation {
    public var sql: String
    public var binds: [String?]

    public init(unsafeSQL sql: String, binds: [String?] = []) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.sql = value
        self.binds = []
    }

    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.binds = stringInterpolation.binds
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { sql += literal }

        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            binds.append(value.postgresText)
            sql += "$\(binds.count)"
        }

        /// An optional value: NULL when nil. Spelled out so the compiler does not mistake it for
        /// printing an optional into text.
        public mutating func appendInterpolation<Wrapped: PostgresEncodable>(_ value: Wrapped?) {
            binds.append(value?.postgresText)
            sql += "$\(binds.count)"
        }

        public mutating func appendInterpolation(unescaped text: String) { sql += text }
    }
}

extension PostgresQuery {
    /// Parameters travel as C strings, which a NUL would silently cut short; PostgreSQL cannot store one
    /// in text anyway. Refused before sending, with the SQLSTATE the server uses for such a character.
    func checkBinds() throws {
        if binds.contains(where: { $0?.utf8.contains(0) == true }) {
            throw PostgresError(kind: .client, sqlState: SQLState("22021"), message: "a text parameter contains the NUL character")
        }
    }
}
