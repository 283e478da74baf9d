import Foundation
import PatronServicesTesting
import Postgres
import Testing

@Suite("Cancellation and timeouts stop the query on the server")
struct CancellationTests {
    /// Starts `query`, cancels its task once the server shows it running (a statement carrying `marker`),
    /// and returns the error it ended with (recording an issue if it did not end with a PostgresError).
    func cancelWhileRunning(_ connection: PostgresConnection, _ query: PostgresQuery, marker: String,
                            _ database: TestDatabase.Database) async throws -> PostgresError? {
        let task = Task { try await connection.query(query) }
        try await eventually { try await activeQueries(like: marker, database) == 1 }
        task.cancel()
        let result = await task.result
        guard case .failure(let error as PostgresError) = result else {
            Issue.record("expected a cancelled PostgresError, got \(result)")
            return nil
        }
        return error
    }

    func activeQueries(like marker: String, _ database: TestDatabase.Database) async throws -> Int {
        try await PostgresConnection.with(database.superuser) { admin in
            try await admin.query(
                "select count(*) from pg_stat_activity where query like '%' || \(marker) || '%' and state = 'active' and pid <> pg_backend_pid()"
            ).scalar(Int.self)
        }
    }

    @Test("cancelling the task cancels the running query on the server (PQcancel)")
    func taskCancellation() async throws {
        try await withFreshConnection { connection, database async throws in
            let error = try await cancelWhileRunning(connection, "select pg_sleep(30), 'cancel-probe'", marker: "cancel-probe", database)
            #expect(error?.kind == .cancelled)
            #expect(error?.sqlState == .queryCanceled)
            #expect(try await activeQueries(like: "cancel-probe", database) == 0)
            // The connection is usable afterwards.
            #expect(try await connection.query("select 1").scalar(Int.self) == 1)
        }
    }

    @Test("cancelling a task on the non-blocking hot path (statement already prepared) cancels it on the server too")
    func hotPathCancellation() async throws {
        try await withFreshConnection { connection, database async throws in
            _ = try await connection.query("select pg_sleep(\(0.0)), 'hot-probe'")  // prepares the statement
            let error = try await cancelWhileRunning(connection, "select pg_sleep(\(30.0)), 'hot-probe'", marker: "hot-probe", database)
            #expect(error?.sqlState == .queryCanceled)
            #expect(try await activeQueries(like: "hot-probe", database) == 0)
            #expect(try await connection.query("select 1").scalar(Int.self) == 1)
        }
    }

    @Test("statement_timeout from the configuration stops a long query")
    func statementTimeout() async throws {
        let database = try await TestDatabase.create()
        var configuration = database.superuser
        configuration.statementTimeoutMilliseconds = 200
        let connection = try await PostgresConnection.connect(configuration)
        let error = await expectPostgresError { try await connection.query("select pg_sleep(5)") }
        #expect(error?.sqlState == .queryCanceled)
        await connection.close()
    }
}
