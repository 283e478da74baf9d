import PatronServicesTesting
import Postgres
import Synchronization
import Testing

/// `pipeline(_:streaming:rows:pause:)`: a statement's rows reach the reader while the server still makes
/// the rest (how a report page goes to its client while PostgreSQL reads its later bills).
@Suite("A streamed statement's rows are read while the server still makes the rest")
struct StreamingTests {
    /// What the streaming callbacks saw: every row's first column (an int8, in binary), how many results
    /// the rows came in, and how many pauses there were.
    final class Seen: Sendable {
        private let state = Mutex<(ids: [Int64], results: Int, pauses: Int)>(([], 0, 0))

        func add(_ rows: PostgresRawResult) {
            let ids = (0..<rows.rowCount).map { row in
                Int64(bigEndian: rows.bytes(row, 0).loadUnaligned(as: Int64.self))
            }
            state.withLock { $0.ids += ids; $0.results += rows.rowCount > 0 ? 1 : 0 }
        }

        func paused() { state.withLock { $0.pauses += 1 } }
        var ids: [Int64] { state.withLock { $0.ids } }
        var results: Int { state.withLock { $0.results } }
        var pauses: Int { state.withLock { $0.pauses } }
    }

    @Test("the rows before one the server must wait for reach the reader while the statement is still running, then the rest, in order")
    func rowsArriveBeforeTheStatementEnds() async throws {
        try await withFreshConnection { connection, database in
            try await PostgresConnection.with(database.superuser) { locker in
                _ = try await locker.query("select pg_advisory_lock(7424242)")
                let seen = Seen()
                // Row 1500 waits for the lock the test holds; the 1,499 before it (about 300 KB) are sent as made.
                let statement: PostgresQuery = """
                    select g::int8 as id, repeat('x', 200) as pad, case when g = 1500 then pg_advisory_lock_shared(7424242)::text end as waited
                    from generate_series(1, 2000) g
                    """
                let reading = Task { try await connection.pipeline(["begin", statement, "commit"], streaming: 1..<2, rows: seen.add, pause: seen.paused) }
                // The state, not a moment: the statement waits on the lock (it has reached row 1500) and the
                // reader has the first thousand rows. Checking the lock right after the rows arrived raced
                // the server on a slow machine: rows come as made, so row 1000 could be read before the
                // server reached row 1500.
                var waiting = 0
                try await eventually(seconds: 60) {
                    waiting = try await locker.query("""
                        select count(*) from pg_locks where locktype = 'advisory' and objid = 7424242 and not granted
                           and database = (select oid from pg_database where datname = current_database())
                        """).scalar(Int.self)
                    return waiting == 1 && seen.ids.count >= 1000
                }
                let readWhileWaiting = seen.ids.count
                _ = try await locker.query("select pg_advisory_unlock(7424242)")
                try await reading.value
                #expect(waiting == 1, "the first thousand rows were read while the statement still waited on its lock")
                #expect((1000..<1500).contains(readWhileWaiting), "nothing past the row that waits arrived before the lock was released")
                #expect(seen.ids == Array(1...2000))
                #expect(seen.results > 1)
                #expect(seen.pauses > 0)
            }
        }
    }

    @Test("a statement that fails after some of its rows: those rows were seen, its error is thrown, and the connection serves the next statement")
    func failureAfterRows() async throws {
        try await withFreshConnection { connection, _ async throws in
            let seen = Seen()
            let failure = await expectPostgresError {
                try await connection.pipeline(
                    ["begin", "select g::int8 as id, 1 / (3000 - g) as ratio from generate_series(1, 3000) g", "commit"], streaming: 1..<2,
                    rows: seen.add, pause: seen.paused)
            }
            #expect(failure?.sqlState == SQLState("22012"))  // division_by_zero
            #expect(seen.ids.count < 3000)
            // The failed transaction is rolled back, as the pool does when a connection comes back in one.
            _ = try await connection.query("rollback")
            #expect(try await connection.query("select 1 as one").scalar(Int.self) == 1)
        }
    }

    @Test("an error the reader throws stops the rows reaching it and is thrown once the pipeline is read to its end; the connection stays usable")
    func readerError() async throws {
        struct Refused: Error {}
        try await withFreshConnection { connection, _ async throws in
            let seen = Seen()
            await #expect(throws: Refused.self) {
                try await connection.pipeline(
                    ["begin", "select g::int8 as id from generate_series(1, 5000) g", "commit"], streaming: 1..<2,
                    rows: { rows in
                        seen.add(rows)
                        throw Refused()
                    }, pause: seen.paused)
            }
            #expect(seen.results == 1)
            #expect(try await connection.query("select 2 as two").scalar(Int.self) == 2)
        }
    }
}
