import Foundation
import NIOCore
import PatronServicesTesting
import Postgres
import Testing

@testable import PatronServicesHTTP

@Suite("Rows read in binary are written as PostgreSQL's own JSON")
struct RowsJSONPostgresTests {
    /// Each value's expected JSON is PostgreSQL's `to_json` of it, in the UTC session every connection of the service has.
    static let values = [
        "'2026-01-02 03:04:05+00'::timestamptz", "'2026-01-02 03:04:05.5+00'::timestamptz", "'1999-12-31 23:59:59.999999+00'::timestamptz",
        "'1900-02-28 12:00:00.000001+00'::timestamptz", "'2000-02-29 00:00:00+00'::timestamptz", "'0044-03-15 12:00:00.25+00 BC'::timestamptz",
        "'0001-01-01 00:00:00+00 BC'::timestamptz", "'4713-11-24 00:00:00+00 BC'::timestamptz", "'10000-01-01 00:00:00+00'::timestamptz",
        "'294276-12-31 23:59:59.999999+00'::timestamptz", "'infinity'::timestamptz", "'-infinity'::timestamptz",
        "'2026-11-26 08:30:00.123'::timestamp", "'1969-07-20 20:17:40'::timestamp",
        "(-9223372036854775808)::int8", "9223372036854775807::int8", "0::int8", "(-2147483648)::int4", "32767::int2", "4294967295::oid",
        "true", "false", #"E'quote " backslash \\ \n \t \u0001 é 日本'::text"#, "''::text", "'CAD'::char(3)", "'ab '::varchar",
        #"'{"a": [1, 2.50], "b": null}'::json"#, #"'{"a": [1, 2.50], "b": null}'::jsonb"#, "null::int8", "null::text", "null::timestamptz",
    ]

    @Test("every supported type, in binary, is written as to_json writes it: timestamps BC, beyond 9999, infinite and fractional; integers at their limits; text with escapes; json and jsonb; nulls")
    func binaryValuesAreToJSON() async throws {
        let database = try await TestDatabase.create()
        try await PostgresConnection.with(database.superuser) { connection in
            let select = Self.values.enumerated().map { "\($1) as c\($0)" }.joined(separator: ", ")
            let row = try await connection.query(
                "select \(unescaped: Self.values.enumerated().map { "coalesce(to_json(\($1))::text, 'null') as c\($0)" }.joined(separator: ", "))"
            ).rows.first!
            let expected = try "[{" + Self.values.indices.map { "\"c\($0)\":" + (try row.decode("c\($0)", as: String.self)) }.joined(separator: ",") + "}]"
            let written = try await connection.pipeline(["select \(unescaped: select)" as PostgresQuery], readingInPlace: 0, binary: true) { rows in
                var buffer = ByteBuffer()
                try RowsJSON.writeArray(rows, into: &buffer)
                return String(buffer: buffer)
            }
            #expect(written == expected)
            #expect(try JSONSerialization.jsonObject(with: Data(written.utf8)) is [[String: Any]])
        }
    }

    @Test("a column of a type without a binary writer is refused, not written as text")
    func unsupportedTypesAreRefused() async throws {
        let database = try await TestDatabase.create()
        try await PostgresConnection.with(database.superuser) { connection in
            for value in ["1.5::numeric", "'2026-01-01'::date", "gen_random_uuid()"] {
                await #expect(throws: RowsJSON.UnsupportedColumn.self) {
                    try await connection.pipeline(["select \(unescaped: value) as v" as PostgresQuery], readingInPlace: 0, binary: true) { rows in
                        var buffer = ByteBuffer()
                        try RowsJSON.writeArray(rows, into: &buffer)
                        return buffer.readableBytes
                    }
                }
            }
        }
    }

    @Test("a report page whose rows come in no order is written in bill id order: its bills, its balance per currency in that order, and the next page's start its largest id")
    func pageRowsAreWrittenInBillIdOrder() async throws {
        let database = try await TestDatabase.create()
        try await PostgresConnection.with(database.superuser) { connection in
            let query: PostgresQuery = """
                select * from (values (30::int8, 7::int8, 'USD'::text), (10, 5, 'CAD'), (20, 1, 'USD')) v ("billId", "balanceMinor", currency)
                """
            let text = try await connection.pipeline([query], readingInPlace: 0, binary: true) { rows in
                String(buffer: try BillReportPage.answer(rows, limit: 3))
            }
            #expect(text == #"{"bills":[{"billId":10,"balanceMinor":5,"currency":"CAD"},{"billId":20,"balanceMinor":1,"currency":"USD"},"#
                + #"{"billId":30,"balanceMinor":7,"currency":"USD"}],"pageBalanceMinor":13,"pageBalanceByCurrency":{"CAD":5,"USD":8},"nextAfterBillId":30}"#)
        }
    }
}
