import CLibPQ

/// A result's values where libpq holds them, for a caller that turns many rows straight into its own
/// output (a report page's JSON) without a Swift `String` per value. Valid only inside the closure it
/// is passed to: libpq frees the result when that returns.
///
/// The value accessors are inlinable, so a caller reading thousands of values calls libpq directly.
public struct PostgresRawResult {
    @usableFromInline let result: OpaquePointer
    public let rowCount: Int
    public let columnCount: Int

    init(_ result: OpaquePointer) {
        self.result = result
        rowCount = Int(PQntuples(result))
        columnCount = Int(PQnfields(result))
    }

    public func columnName(_ column: Int) -> String { String(cString: PQfname(result, Int32(column))) }

    /// The column's type OID (`pg_type.oid`).
    public func columnType(_ column: Int) -> UInt32 { UInt32(PQftype(result, Int32(column))) }

    /// Whether the column's values are in PostgreSQL's binary form (`typsend`) rather than its text.
    public func isBinary(_ column: Int) -> Bool { PQfformat(result, Int32(column)) == 1 }

    @inlinable
    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    /// The value's bytes (its text without libpq's terminating NUL, or its binary form); empty for NULL.
    @inlinable
    public func bytes(_ row: Int, _ column: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(row), Int32(column)), count: Int(PQgetlength(result, Int32(row), Int32(column))))
    }

    /// The value's bytes, or nil for NULL: two calls into libpq for a value that is not empty, where
    /// ``isNull(_:_:)`` and ``bytes(_:_:)`` make three.
    @inlinable
    public func value(_ row: Int, _ column: Int) -> UnsafeRawBufferPointer? {
        let count = Int(PQgetlength(result, Int32(row), Int32(column)))
        if count == 0 && PQgetisnull(result, Int32(row), Int32(column)) == 1 { return nil }
        return UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(row), Int32(column)), count: count)
    }
}
