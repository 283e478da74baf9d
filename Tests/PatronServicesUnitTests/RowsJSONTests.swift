import NIOCore
import Testing

@testable import PatronServicesHTTP

/// The JSON forms `RowsJSON` writes from libpq's text, against PostgreSQL's own `to_json` of the same
/// values (the expected strings are PostgreSQL 15's, read with psql in the zones named).
@Suite("Report rows written as JSON from their text")
struct RowsJSONTests {
    func written(_ text: String, _ kind: RowsJSON.Kind) -> String {
        var buffer = ByteBuffer()
        Array(text.utf8).withUnsafeBytes { RowsJSON.write($0, as: kind, into: &buffer) }
        return String(buffer: buffer)
    }

    @Test("a timestamp is written as PostgreSQL's JSON writes it: a T between date and time, the offset's minutes always, its seconds when there are any")
    func timestamps() {
        #expect(written("2026-01-02 03:04:05+00", .timestamp) == #""2026-01-02T03:04:05+00:00""#)
        #expect(written("2026-01-02 08:34:05.5+05:30", .timestamp) == #""2026-01-02T08:34:05.5+05:30""#)
        #expect(written("2026-01-01 23:34:05.123456-03:30", .timestamp) == #""2026-01-01T23:34:05.123456-03:30""#)
        #expect(written("2026-01-01 23:34:05-03", .timestamp) == #""2026-01-01T23:34:05-03:00""#)
        #expect(written("1900-01-01 00:19:32+00:19:32", .timestamp) == #""1900-01-01T00:19:32+00:19:32""#)
        #expect(written("2026-01-02 03:04:05", .timestamp) == #""2026-01-02T03:04:05""#)
        #expect(written("infinity", .timestamp) == #""infinity""#)
    }

    @Test("a string is escaped as PostgreSQL's escape_json does: quotes, backslashes and control characters, letters beyond ASCII as they are")
    func strings() {
        #expect(written("a\"b\\c\nd\te\u{01}f\u{08}g\u{0C}h\ri Zoë", .string) == #""a\"b\\c\nd\te\u0001f\bg\fh\ri Zoë""#)
        #expect(written("", .string) == #""""#)
        #expect(written("\u{1F}", .string) == #""\u001f""#)
    }

    @Test("integers and JSON are written as they are, booleans as true and false")
    func scalars() {
        #expect(written("-9223372036854775808", .number) == "-9223372036854775808")
        #expect(written(#"{"a": [1, 2]}"#, .json) == #"{"a": [1, 2]}"#)
        #expect(written("t", .boolean) == "true")
        #expect(written("f", .boolean) == "false")
    }
}
