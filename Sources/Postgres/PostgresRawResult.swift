import CLibPQ

/// A result's values where libpq holds them, for a caller that turns many rows straight into its own
/// output (a report page's JSON) without a Swift `String` per value. Valid only inside the closure it
/// is passed to: libpq frees the result when that returns.
public struct PostgresRawResult {
    let result: OpaquePointer
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

    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    /// The value's text (its bytes, without libpq's terminating NUL); empty for NULL.
    public func bytes(_ row: Int, _ column: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(row), Int32(column)), count: Int(PQgetlength(result, Int32(row), Int32(column))))
    }
}
