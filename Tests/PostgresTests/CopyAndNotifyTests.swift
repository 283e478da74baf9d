import Foundation
import PatronServicesTesting
import Postgres
import Testing

@Suite("COPY FROM STDIN and LISTEN/NOTIFY")
struct CopyAndNotifyTests {
    @Test("COPY FROM STDIN loads rows with NULLs, tabs, newlines and backslashes intact")
    func copyIn() async throws {
        try await withFreshConnection { connection, _ async throws in
            try await connection.execute("create table t (id int8, name text, born date)")
            var rows: [[any PostgresEncodable]] = [
                [Int64(1), "tab\there", CivilDate(year: 2000, month: 1, day: 2)],
                [Int64(2), "new\nline \\ slash", Optional<CivilDate>.none],
                [Int64(3), Optional<String>.none, CivilDate(year: 1999, month: 12, day: 31)],
            ]
            for index in 4...10_000 { rows.append([Int64(index), "bulk \(index)", Optional<CivilDate>.none]) }
            let copied = try await connection.copyFromStdin("copy t (id, name, born) from stdin", rows: rows)
            #expect(copied == 10_000)
            let second = try await connection.query("select name, born from t where id = 2").single()
            #expect(try second.decode("name", as: String.self) == "new\nline \\ slash")
            #expect(try second.decode("born", as: CivilDate?.self) == nil)
            #expect(try await connection.query("select name from t where id = 1").scalar(String.self) == "tab\there")
            #expect(try await connection.query("select name is null from t where id = 3").scalar(Bool.self))
        }
    }

    @Test("a COPY that fails on the server reports the error and leaves the connection usable")
    func copyFailure() async throws {
        try await withFreshConnection { connection, _ async throws in
            try await connection.execute("create table t (id int8 primary key)")
            let error = await expectPostgresError {
                try await connection.copyFromStdin("copy t (id) from stdin", rows: [[Int64(1)], [Int64(1)]])
            }
            #expect(error?.sqlState == .uniqueViolation)
            #expect(try await connection.query("select count(*) from t").scalar(Int.self) == 0)
        }
    }

    @Test("LISTEN receives NOTIFY payloads sent from another connection")
    func listenNotify() async throws {
        try await withFreshConnection { sender, database async throws in
            let listener = try await PostgresConnection.connect(database.superuser)
            let stream = try await listener.notifications(channels: ["patron_events"])
            try await sender.query("select pg_notify('patron_events', \("first"))")
            try await sender.query("select pg_notify('other_channel', 'ignored')")
            try await sender.query("select pg_notify('patron_events', \("second"))")
            var received: [String] = []
            for try await notification in stream {
                #expect(notification.channel == "patron_events")
                received.append(notification.payload)
                if received.count == 2 { break }
            }
            #expect(received == ["first", "second"])
            await listener.close()
        }
    }
}
