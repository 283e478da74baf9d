import Foundation
import NIOCore
import PatronServicesTesting
import Postgres
import Synchronization
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

    /// The JSON array RowsJSON writes for `query`'s rows, read in binary and streamed as a report page's are.
    static func json(_ connection: PostgresConnection, _ query: PostgresQuery) async throws -> String {
        let state = Mutex<(buffer: ByteBuffer, columns: RowsJSON.Columns?, count: Int)>((ByteBuffer(string: "["), nil, 0))
        try await connection.pipeline(["begin", query, "commit"], streaming: 1..<2, rows: { rows in
            guard rows.rowCount > 0 else { return }
            try state.withLock { page in
                let columns = try page.columns ?? RowsJSON.Columns(rows)
                page.columns = columns
                try RowsJSON.writeObjects(rows, columns: columns, leadingComma: page.count > 0, into: &page.buffer)
                page.count += rows.rowCount
            }
        }, pause: {})
        return state.withLock { String(buffer: $0.buffer) } + "]"
    }

    @Test("every supported type, in binary, is written as to_json writes it: timestamps BC, beyond 9999, infinite and fractional; integers at their limits; text with escapes; json and jsonb; nulls")
    func binaryValuesAreToJSON() async throws {
        let database = try await TestDatabase.create()
        try await PostgresConnection.with(database.superuser) { connection in
            let select = Self.values.enumerated().map { "\($1) as c\($0)" }.joined(separator: ", ")
            let row = try await connection.query(
                "select \(unescaped: Self.values.enumerated().map { "coalesce(to_json(\($1))::text, 'null') as c\($0)" }.joined(separator: ", "))"
            ).rows.first!
            let expected = try "[{" + Self.values.indices.map { "\"c\($0)\":" + (try row.decode("c\($0)", as: String.self)) }.joined(separator: ",") + "}]"
            let written = try await Self.json(connection, "select \(unescaped: select)")
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
                    _ = try await Self.json(connection, "select \(unescaped: value) as v")
                }
            }
        }
    }

    /// The chunks a ``BillReportStream`` passed on for `query`, streamed as the report streams its pages.
    func streamedPage(_ query: PostgresQuery, limit: Int64) async throws -> [String] {
        let database = try await TestDatabase.create()
        return try await PostgresConnection.with(database.superuser) { connection in
            let (chunks, sink) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
            let page = BillReportStream(limit: limit, sink: sink)
            do {
                try await connection.pipeline(["begin", query, "commit"], streaming: 1..<2, rows: page.add, pause: page.pause)
                page.finish()
            } catch {
                sink.finish(throwing: error)
            }
            var texts: [String] = []
            for try await chunk in chunks { texts.append(String(buffer: chunk)) }
            return texts
        }
    }

    @Test("a report page is its bills in bill id order, its balance per currency in the order the currencies first come, and the next page's start its last id when the page is full")
    func pageIsWrittenAsItsRowsCome() async throws {
        let query: PostgresQuery = """
            select * from (values (10::int8, 5::int8, 'CAD'::text), (20, 1, 'USD'), (30, 7, 'USD')) v ("billId", "balanceMinor", currency) order by 1
            """
        let full = try await streamedPage(query, limit: 3).joined()
        #expect(full == #"{"bills":[{"billId":10,"balanceMinor":5,"currency":"CAD"},{"billId":20,"balanceMinor":1,"currency":"USD"},"#
            + #"{"billId":30,"balanceMinor":7,"currency":"USD"}],"pageBalanceMinor":13,"pageBalanceByCurrency":{"CAD":5,"USD":8},"nextAfterBillId":30}"#)
        let short = try await streamedPage(query, limit: 4).joined()
        #expect(short.hasSuffix(#""nextAfterBillId":null}"#))
        let empty = try await streamedPage("select 1::int8 as \"billId\", 1::int8 as \"balanceMinor\", 'USD'::text as currency where false", limit: 3)
        #expect(empty.joined() == #"{"bills":[],"pageBalanceMinor":0,"pageBalanceByCurrency":{},"nextAfterBillId":null}"#)
    }

    @Test("a large page goes out in several chunks that make one JSON document: 4,000 bills, each in the order they came")
    func largePageInChunks() async throws {
        let chunks = try await streamedPage("""
            select g::int8 as "billId", g::int8 as "balanceMinor", 'USD'::text as currency, repeat('é', 40) as reason from generate_series(1, 4000) g
            """, limit: 5000)
        #expect(chunks.count > 1)
        let page = try #require(try JSONSerialization.jsonObject(with: Data(chunks.joined().utf8)) as? [String: Any])
        #expect((page["bills"] as? [[String: Any]])?.compactMap { $0["billId"] as? Int } == Array(1...4000))
        #expect(page["pageBalanceMinor"] as? Int == 4000 * 4001 / 2)
        #expect(page["nextAfterBillId"] is NSNull)
    }

    @Test("rows out of bill id order are refused rather than written in the wrong order")
    func outOfOrderRowsAreRefused() async throws {
        await #expect(throws: PostgresError.self) {
            _ = try await streamedPage("""
                select * from (values (30::int8, 7::int8, 'USD'::text), (10, 5, 'CAD')) v ("billId", "balanceMinor", currency)
                """, limit: 3)
        }
    }
}
