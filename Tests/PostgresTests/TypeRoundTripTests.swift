import Foundation
import PatronServicesTesting
import Postgres
import Testing

@Suite("Typed parameters and rows round-trip through the server")
struct TypeRoundTripTests {
    func roundTrip<T: PostgresEncodable & PostgresDecodable & Equatable>(_ value: T, as sqlType: String, on connection: PostgresConnection) async throws -> T {
        let row = try await connection.query("select \(value)::\(unescaped: sqlType) as v").single()
        return try row.decode("v", as: T.self)
    }

    @Test("text, integers, bool, double round-trip including edge values")
    func scalars() async throws {
        try await withFreshConnection { connection, _ async throws in
            for text in ["", "plain", "quote ' and \" and \\ backslash", "tab\tnew\nline", "ünïcødé 📚"] {
                #expect(try await roundTrip(text, as: "text", on: connection) == text)
            }
            for value in [Int64.min, -1, 0, 1, Int64.max] { #expect(try await roundTrip(value, as: "int8", on: connection) == value) }
            for value in [Int32.min, 0, Int32.max] { #expect(try await roundTrip(value, as: "int4", on: connection) == value) }
            for value in [Int16.min, Int16.max] { #expect(try await roundTrip(value, as: "int2", on: connection) == value) }
            #expect(try await roundTrip(true, as: "bool", on: connection) == true)
            #expect(try await roundTrip(false, as: "bool", on: connection) == false)
            for value in [0.1, -2.5e-300, Double.greatestFiniteMagnitude, .infinity, -.infinity] {
                #expect(try await roundTrip(value, as: "float8", on: connection) == value)
            }
            #expect(try await roundTrip(Double.nan, as: "float8", on: connection).isNaN)
        }
    }

    @Test("numeric decodes as Decimal exactly, and as integer minor units when integral")
    func numeric() async throws {
        try await withFreshConnection { connection, _ async throws in
            let decimal = Decimal(string: "12345678901234567890.123456789")!
            #expect(try await roundTrip(decimal, as: "numeric", on: connection) == decimal)
            let minor = try await connection.query("select 1999::numeric(12,2) as v").single().decode("v", as: Int64.self)
            #expect(minor == 1999)
            await #expect(throws: PostgresError.self) {
                _ = try await connection.query("select 19.99::numeric as v").single().decode("v", as: Int64.self)
            }
        }
    }

    @Test("timestamptz keeps microseconds, handles dates before 1970 and infinity")
    func timestamps() async throws {
        try await withFreshConnection { connection, _ async throws in
            for seconds in [0.0, 1_764_000_000.123456, -1_000_000_000.5, 253_402_300_799.999999] {
                let date = Date(timeIntervalSince1970: seconds)
                let back = try await roundTrip(date, as: "timestamptz", on: connection)
                #expect(abs(back.timeIntervalSince1970 - seconds) < 0.000_001)
            }
            #expect(try await roundTrip(Date.distantFuture, as: "timestamptz", on: connection) == .distantFuture)
            #expect(try await roundTrip(Date.distantPast, as: "timestamptz", on: connection) == .distantPast)
            // A session in another time zone still decodes to the same instant.
            try await connection.execute("set timezone to 'America/Chicago'")
            let instant = try await connection.query("select '2026-01-15 12:00:00+00'::timestamptz as v").single().decode("v", as: Date.self)
            #expect(instant.timeIntervalSince1970 == 1_768_478_400)
        }
    }

    @Test("date, uuid, jsonb and bytea round-trip")
    func otherTypes() async throws {
        try await withFreshConnection { connection, _ async throws in
            for date in [CivilDate(year: 2024, month: 2, day: 29), CivilDate(year: 1900, month: 1, day: 1), CivilDate(year: 9999, month: 12, day: 31)] {
                #expect(try await roundTrip(date, as: "date", on: connection) == date)
            }
            let uuid = UUID()
            #expect(try await roundTrip(uuid, as: "uuid", on: connection) == uuid)
            let json = try await roundTrip(PostgresJSON(text: #"{"a": [1, "x"]}"#), as: "jsonb", on: connection)
            struct Shape: Decodable, Equatable { var a: [Element] }
            enum Element: Decodable, Equatable {
                case int(Int), string(String)
                init(from decoder: any Decoder) throws {
                    let container = try decoder.singleValueContainer()
                    if let value = try? container.decode(Int.self) { self = .int(value) } else { self = .string(try container.decode(String.self)) }
                }
            }
            #expect(try json.decode(Shape.self) == Shape(a: [.int(1), .string("x")]))
            let bytes = PostgresBytes((0...255).map { UInt8($0) })
            #expect(try await roundTrip(bytes, as: "bytea", on: connection) == bytes)
            #expect(try await roundTrip(PostgresBytes([]), as: "bytea", on: connection) == PostgresBytes([]))
        }
    }

    @Test("arrays of scalars round-trip, with quoting and NULL elements")
    func arrays() async throws {
        try await withFreshConnection { connection, _ async throws in
            // A quote or backslash followed by a combining mark is one Character with it, but must still be escaped.
            let texts: [String?] = ["a", "with,comma", "with \"quotes\"", "back\\slash", nil, "NULL", "", "{braces}", "\"\u{301}x", "\\\u{301}", "été"]
            #expect(try await roundTrip(texts, as: "text[]", on: connection) == texts)
            #expect(try await roundTrip([Int64](), as: "int8[]", on: connection) == [])
            #expect(try await roundTrip([1, -2, 3] as [Int64], as: "int8[]", on: connection) == [1, -2, 3])
            let uuids = [UUID(), UUID()]
            #expect(try await roundTrip(uuids, as: "uuid[]", on: connection) == uuids)
            #expect(try await roundTrip([true, false], as: "bool[]", on: connection) == [true, false])
            let dates = [CivilDate(year: 2026, month: 11, day: 24)]
            #expect(try await roundTrip(dates, as: "date[]", on: connection) == dates)
        }
    }

    @Test("NULL decodes as nil into optionals of every type, and is an error otherwise")
    func nulls() async throws {
        try await withFreshConnection { connection, _ async throws in
            let row = try await connection.query(
                "select null::text a, null::int8 b, null::bool c, null::timestamptz d, null::date e, null::uuid f, null::jsonb g, null::bytea h, null::numeric i, null::text[] j"
            ).single()
            #expect(try row.decode("a", as: String?.self) == nil)
            #expect(try row.decode("b", as: Int64?.self) == nil)
            #expect(try row.decode("c", as: Bool?.self) == nil)
            #expect(try row.decode("d", as: Date?.self) == nil)
            #expect(try row.decode("e", as: CivilDate?.self) == nil)
            #expect(try row.decode("f", as: UUID?.self) == nil)
            #expect(try row.decode("g", as: PostgresJSON?.self) == nil)
            #expect(try row.decode("h", as: PostgresBytes?.self) == nil)
            #expect(try row.decode("i", as: Decimal?.self) == nil)
            #expect(try row.decode("j", as: [String]?.self) == nil)
            #expect(throws: PostgresError.self) { try row.decode("a", as: String.self) }
            let none: String? = Optional<String>.none
            #expect(try await connection.query("select \(none as String?)::text as v").single().isNull("v"))
        }
    }

    @Test("interpolated values are parameters, never SQL: an injection attempt is just text")
    func injection() async throws {
        try await withFreshConnection { connection, _ async throws in
            let hostile = "x'; drop table public.schema_migrations; --"
            #expect(try await roundTrip(hostile, as: "text", on: connection) == hostile)
            #expect(try await connection.query("select count(*) from public.schema_migrations").scalar(Int.self) > 0)
        }
    }
}
