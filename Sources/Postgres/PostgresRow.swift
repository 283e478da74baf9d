/// The column names of a result, shared by its rows.
public struct PostgresColumns: Sendable {
    public let names: [String]
    let indexByName: [String: Int]

    init(names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (offset, name) in names.enumerated() where index[name] == nil { index[name] = offset }
        self.indexByName = index
    }
}

/// One row of a result, already copied out of libpq.
public struct PostgresRow: Sendable {
    public let columns: PostgresColumns
    /// The text of each column, `nil` for NULL.
    public let values: [String?]

    /// Decodes the column at `index`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at index: Int) throws -> T {
        guard values.indices.contains(index) else { throw PostgresError.client("no column at index \(index)") }
        guard let text = values[index] else { return try T.decodeNull() }
        do {
            return try T.decode(postgresText: text)
        } catch var error as PostgresError {
            error.column = columns.names[index]
            throw error
        }
    }

    /// Decodes the column named `name`.
    public func decode<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.indexByName[name] else { throw PostgresError.client("no column named \(name)") }
        return try decode(T.self, at: index)
    }

    public func isNull(_ name: String) -> Bool {
        guard let index = columns.indexByName[name] else { return true }
        return values[index] == nil
    }
}

/// The rows a statement returned, and how many rows it affected.
public struct PostgresResult: Sendable, RandomAccessCollection {
    public let columns: PostgresColumns
    public let rows: [PostgresRow]
    /// Rows affected by INSERT/UPDATE/DELETE/COPY, or returned by SELECT.
    public let affectedRows: Int

    public var startIndex: Int { rows.startIndex }
    public var endIndex: Int { rows.endIndex }
    public subscript(position: Int) -> PostgresRow { rows[position] }

    /// The only row; an error when there is none or more than one.
    public func single() throws -> PostgresRow {
        guard rows.count == 1 else { throw PostgresError.client("expected one row, got \(rows.count)") }
        return rows[0]
    }

    /// Decodes the first column of the only row.
    public func scalar<T: PostgresDecodable>(_ type: T.Type = T.self) throws -> T {
        try single().decode(T.self, at: 0)
    }
}
