import NIOCore
import Testing

@testable import PatronServicesHTTP

/// The JSON forms `RowsJSON` writes from libpq's binary values (the report page's test and
/// `RowsJSONPostgresTests` check them against PostgreSQL's own `to_json`).
@Suite("Report rows written as JSON from their binary values")
struct RowsJSONTests {
    func written(_ bytes: [UInt8], _ kind: RowsJSON.Kind) -> String {
        var buffer = ByteBuffer()
        bytes.withUnsafeBytes { RowsJSON.write($0, as: kind, into: &buffer) }
        return String(buffer: buffer)
    }

    func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    @Test("a timestamp is written as PostgreSQL's JSON writes it in UTC: a T between date and time, +00:00 for timestamptz, the fraction without trailing zeros")
    func timestamps() {
        #expect(written(bigEndian(Int64(0)), .timestamptz) == #""2000-01-01T00:00:00+00:00""#)
        #expect(written(bigEndian(Int64(-1)), .timestamptz) == #""1999-12-31T23:59:59.999999+00:00""#)
        #expect(written(bigEndian(Int64(86_400_000_000 + 500_000)), .timestamptz) == #""2000-01-02T00:00:00.5+00:00""#)
        #expect(written(bigEndian(Int64(3_723_000_120)), .timestamp) == #""2000-01-01T01:02:03.00012""#)
        #expect(written(bigEndian(Int64.max), .timestamptz) == #""infinity""#)
        #expect(written(bigEndian(Int64.min), .timestamp) == #""-infinity""#)
    }

    @Test("a string is escaped as PostgreSQL's escape_json does: quotes, backslashes and control characters, letters beyond ASCII as they are")
    func strings() {
        #expect(written(Array("a\"b\\c\nd\te\u{01}f\u{08}g\u{0C}h\ri Zoë".utf8), .string) == #""a\"b\\c\nd\te\u0001f\bg\fh\ri Zoë""#)
        #expect(written([], .string) == #""""#)
        #expect(written([0x1F], .string) == #""\u001f""#)
    }

    @Test("integers are written in decimal (an oid as a string), booleans as true and false, JSON as it is (jsonb without its version byte)")
    func scalars() {
        #expect(written(bigEndian(Int64.min), .int8) == "-9223372036854775808")
        #expect(written(bigEndian(Int64.max), .int8) == "9223372036854775807")
        #expect(written(bigEndian(Int64(0)), .int8) == "0")
        #expect(written(bigEndian(Int32(-2_147_483_648)), .int4) == "-2147483648")
        #expect(written(bigEndian(Int16(-7)), .int2) == "-7")
        #expect(written(bigEndian(UInt32.max), .oid) == #""4294967295""#)
        #expect(written(Array(#"{"a": [1, 2]}"#.utf8), .json) == #"{"a": [1, 2]}"#)
        #expect(written([1] + Array(#"{"a": [1, 2]}"#.utf8), .jsonb) == #"{"a": [1, 2]}"#)
        #expect(written([1], .boolean) == "true")
        #expect(written([0], .boolean) == "false")
    }
}
