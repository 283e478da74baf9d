import Foundation
import PatronServicesTesting
@testable import Postgres
import Testing

@Suite("The bounded connection pool")
struct PoolTests {
    func pool(_ database: TestDatabase.Database, size: Int, timeout: Duration = .seconds(10)) -> PostgresPool {
        PostgresPool(configuration: .init(connection: database.superuser, maxConnections: size, acquireTimeout: timeout))
    }

    @Test("200 concurrent tasks over a pool of 4 all complete, never using more than 4 connections")
    func manyTasksFewConnections() async throws {
        let database = try await TestDatabase.create()
        // The test asserts completion, not speed: a wait as long as a starved CI machine may need.
        let pool = pool(database, size: 4, timeout: .seconds(120))
        let sum = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<200 {
                group.addTask { try await pool.query("select \(index)::int + 0 * pg_backend_pid()").scalar(Int.self) }
            }
            return try await group.reduce(0, +)
        }
        #expect(sum == (0..<200).reduce(0, +))
        #expect(pool.statistics.opened <= 4)
        let backends = try await pool.query(
            "select count(*) from pg_stat_activity where datname = current_database() and application_name = 'patron-services'"
        ).scalar(Int.self)
        #expect(backends <= 4)
        await pool.close()
    }

    @Test("every session the pool opens has JIT compilation off, whatever the server's default, beside UTC and ISO dates")
    func sessionsHaveJITOff() async throws {
        let database = try await TestDatabase.create()
        let pool = pool(database, size: 2)
        let settings = try await pool.query("select current_setting('jit') || ' ' || current_setting('timezone') || ' ' || current_setting('datestyle')")
            .scalar(String.self)
        #expect(settings == "off UTC ISO, YMD")
        await pool.close()
    }

    @Test("when every connection is busy a caller waits, then fails with poolTimeout")
    func acquireTimeout() async throws {
        let database = try await TestDatabase.create()
        let pool = pool(database, size: 1, timeout: .milliseconds(200))
        try await pool.withConnection { _ in
            let error = await expectPostgresError { _ = try await pool.query("select 1") }
            #expect(error?.kind == .poolTimeout)
        }
        #expect(try await pool.query("select 1").scalar(Int.self) == 1)
        await pool.close()
    }

    @Test("at most maxWaiters callers wait; one more fails at once with poolBusy, and the waiter is still served")
    func boundedWaitQueue() async throws {
        let database = try await TestDatabase.create()
        let pool = PostgresPool(configuration: .init(connection: database.superuser, maxConnections: 1, acquireTimeout: .seconds(60),
            maxWaiters: 1))
        let waiter = try await pool.withConnection { _ in
            let waiter = Task { try await pool.query("select 41 + 1").scalar(Int.self) }
            try await eventually { pool.statistics.waiters == 1 }
            let started = ContinuousClock.now
            let error = await expectPostgresError { _ = try await pool.query("select 1") }
            #expect(error?.kind == .poolBusy)
            #expect(ContinuousClock.now - started < .seconds(30), "refused without waiting out the 60 s acquire timeout")
            #expect(pool.statistics.waiters == 1)
            return waiter
        }
        #expect(try await waiter.value == 42, "the caller that waited gets the connection when it comes back")
        await pool.close()
    }

    @Test("a connection killed on the server is replaced before it is handed out")
    func killedConnectionReplaced() async throws {
        let database = try await TestDatabase.create()
        // Check every hand-out: the default skips the check for a connection idle under 50 ms, and how long
        // this one idles depends on the machine's speed.
        let pool = PostgresPool(configuration: .init(connection: database.superuser, maxConnections: 1, livenessCheckAfter: .zero))
        let first = try await pool.query("select pg_backend_pid()").scalar(Int32.self)
        let admin = try await PostgresConnection.connect(database.superuser)
        try await admin.query("select pg_terminate_backend(\(first))")
        // Wait for the backend process itself to be gone: it leaves pg_stat_activity before it exits and
        // closes its socket, and under load that gap was long enough for the pool to hand the connection out.
        try await eventually {
            try await admin.query("select count(*) from pg_stat_activity where pid = \(first)").scalar(Int.self) == 0
                && kill(pid_t(first), 0) != 0 && errno == ESRCH
        }
        let second = try await pool.query("select pg_backend_pid()").scalar(Int32.self)
        #expect(second != first)
        await admin.close()
        await pool.close()
    }

    @Test("a connection returned inside a failed transaction is rolled back, never handed out as is")
    func failedTransactionNotReused() async throws {
        let database = try await TestDatabase.create()
        let pool = pool(database, size: 1)
        _ = try? await pool.withConnection { connection in
            try await connection.execute("begin")
            try await connection.execute("select 1/0")
        }
        let state = try await pool.withConnection { connection in await connection.transactionState() }
        #expect(state == .idle)
        #expect(try await pool.query("select 2").scalar(Int.self) == 2)
        await pool.close()
    }

    @Test("transaction settings are transaction-local: the next user of the connection does not see the tenant")
    func transactionLocalSettings() async throws {
        let database = try await TestDatabase.create()
        let pool = pool(database, size: 1)
        let inside = try await pool.withTransaction(.init(settings: [("ps.tenant", "42")])) { connection in
            try await connection.query("select current_setting('ps.tenant', true)").scalar(String?.self)
        }
        #expect(inside == "42")
        let after = try await pool.query("select nullif(current_setting('ps.tenant', true), '')").scalar(String?.self)
        #expect(after == nil)
        let piped = try await pool.transactionalQuery(
            "select current_setting('ps.tenant', true) as t, current_setting('transaction_isolation') as i",
            options: .init(isolation: .serializable, settings: [("ps.tenant", "7")])
        ).single()
        #expect(try piped.decode("t", as: String.self) == "7")
        #expect(try piped.decode("i", as: String.self) == "serializable")
        #expect(try await pool.withConnection { await $0.transactionState() } == .idle)
        await pool.close()
    }

    @Test("withTransaction commits on return and rolls back on throw")
    func commitAndRollback() async throws {
        let database = try await TestDatabase.create()
        let pool = pool(database, size: 2)
        _ = try await pool.query("create table t (n int)")
        try await pool.withTransaction { try await $0.query("insert into t values (1)") }
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await pool.withTransaction { connection in
                try await connection.query("insert into t values (2)")
                throw Boom()
            }
        }
        #expect(try await pool.query("select array_agg(n) from t").scalar([Int].self) == [1])
        // A failing statement in a pipelined transaction leaves nothing behind.
        let error = await expectPostgresError {
            _ = try await pool.transactionalQuery("insert into t values (1/0)", options: .init())
        }
        #expect(error?.sqlState == SQLState("22012"))
        #expect(try await pool.query("select count(*) from t").scalar(Int.self) == 1)
        await pool.close()
    }
}

@Suite("Pipelines")
struct PipelineTests {
    @Test("after a pipelined transaction fails, the next one on the same connection gets its own results")
    func pipelineAfterFailure() async throws {
        try await withFreshConnection { connection, _ async throws in
            try await connection.execute("create table t (id int primary key)")
            let error = await expectPostgresError {
                _ = try await connection.pipeline(["begin", "insert into t values (1), (1)", "commit"])
            }
            #expect(error?.sqlState == .uniqueViolation)
            _ = try? await connection.execute("rollback")
            let results = try await connection.pipeline(["begin", "insert into t values (\(2)) returning id", "commit"])
            #expect(results.count == 3)
            #expect(try results[1].scalar(Int.self) == 2)
            #expect(await connection.transactionState() == .idle)
        }
    }

    /// The reactor thread reads a large answer's chunks as they arrive and resumes the task once it is
    /// whole; this holds the answer intact on that path, alone and between other statements' results.
    @Test("an answer of megabytes, arriving in hundreds of chunks, is read whole without blocking, alone and in a pipeline")
    func largeAnswers() async throws {
        try await withFreshConnection { connection, _ async throws in
            // The first round prepares the statements (the blocking path); the next ones run them without blocking.
            for round in 0..<3 {
                let size = 3_000_000 + round
                let text = try await connection.query("select repeat('ab', \(size))").scalar(String.self)
                #expect(text.utf8.count == 2 * size && text.hasPrefix("abab") && text.hasSuffix("abab"))
                let results = try await connection.pipeline(["begin", "select repeat('cd', \(size)), \(round)::int", "select 'after'", "commit"])
                #expect(results.count == 4)
                let row = try results[1].single()
                #expect(try row.decode(String.self, at: 0).utf8.count == 2 * size)
                #expect(try row.decode(Int.self, at: 1) == round)
                #expect(try results[2].scalar(String.self) == "after")
            }
            #expect(await connection.transactionState() == .idle)
        }
    }
}

@Suite("The Postgres event loop executor")
struct EventLoopTests {
    @Test("tasks preferring the Postgres event loop run their statements there, concurrently and correctly")
    func queriesOnTheEventLoop() async throws {
        let database = try await TestDatabase.create()
        // The test asserts completion, not speed: a wait as long as a starved CI machine may need.
        let pool = PostgresPool(configuration: .init(connection: database.superuser, maxConnections: 4, acquireTimeout: .seconds(120)))
        let sum = try await pool.withEventLoop {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<300 {
                    group.addTask { try await pool.query("select \(index)::int + 0 * pg_backend_pid()").scalar(Int.self) }
                }
                return try await group.reduce(0, +)
            }
        }
        #expect(sum == (0..<300).reduce(0, +))
        await pool.close()
    }

    @Test("a statement awaited on a reactor resumes on that reactor, whichever reactor waited on the connection before")
    func waitsResumeWhereTheirTaskRuns() async throws {
        let database = try await TestDatabase.create()
        // One connection, so that every round's wait is on the same socket, moved between the reactors' epoll sets.
        let pool = PostgresPool(configuration: .init(connection: database.superuser, maxConnections: 1, acquireTimeout: .seconds(120)))
        let reactors = PostgresReactor.group
        #expect(reactors.count == max(1, ProcessInfo.processInfo.activeProcessorCount))
        for round in 0..<40 {
            let reactor = reactors[round % reactors.count]
            // The server sleeps 2 ms, so the answer is not there when the task first reads: it waits on epoll.
            let (value, armedOn, resumedOn) = try await withTaskExecutorPreference(reactor) {
                // Armed on another reactor, the answer would wake that thread, which would hand the task back.
                let armedOn = PostgresReactor.forWaiting(Int32(round))
                let value = try await pool.query("select \(round) + 0 * length(pg_sleep(0.002)::text)").scalar(Int.self)
                return (value, armedOn, PostgresReactor.current)
            }
            #expect(value == round)
            #expect(armedOn === reactor)
            #expect(resumedOn === reactor, "round \(round) resumed on another thread")
        }
        await pool.close()
    }

    @Test("each reactor's thread carries its own name, pg-reactor-N, where top -H and perf show it")
    func reactorThreadsAreNamed() async throws {
        for (index, reactor) in PostgresReactor.group.enumerated() {
            let name = await withTaskExecutorPreference(reactor) {
                try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
            }
            #expect(name == "pg-reactor-\(index)\n")
        }
    }
}
