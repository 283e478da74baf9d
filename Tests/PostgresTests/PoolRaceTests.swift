import PatronServicesTesting
import Synchronization
import Testing

@testable import Postgres

/// The pool's waits, deterministically: the moments that used to race are forced by the pool's test hook.
@Suite("Pool waits: decided and registered together, one timer for all, cancellable before registering")
struct PoolRaceTests {
    /// A pool of one connection, held by the caller; waits time out after `timeout` (long: a wait that
    /// is not served fails the test by timing out instead of passing by luck).
    func exhaustedPool(timeout: Duration = .seconds(20)) async throws -> (PostgresPool, PostgresConnection) {
        let database = try await TestDatabase.create()
        let pool = PostgresPool(configuration: .init(connection: database.superuser, maxConnections: 1, acquireTimeout: timeout))
        return (pool, try await pool.acquire())
    }

    @Test("a connection released after an acquirer decided to wait, before it registered, is handed to it at once")
    func releaseBeforeRegistration() async throws {
        let (pool, held) = try await exhaustedPool()
        pool.hooks.withLock { $0.beforeRegistering = { await pool.release(held) } }
        let clock = ContinuousClock()
        let started = clock.now
        let connection = try await pool.acquire()
        #expect(connection === held)
        #expect(clock.now - started < .seconds(20), "served, not timed out")
        #expect(pool.statistics.timers == 0 && pool.statistics.waiters == 0)
        await pool.release(connection)
        await pool.close()
    }

    @Test("a task cancelled after deciding to wait, before registering, fails with CancellationError, not a timeout")
    func cancelledBeforeRegistration() async throws {
        let (pool, held) = try await exhaustedPool()
        let cancelled = Mutex(false)
        let waiterBox = Mutex<Task<PostgresConnection, any Error>?>(nil)
        pool.hooks.withLock {
            $0.beforeRegistering = {
                waiterBox.withLock { $0 }?.cancel()
                cancelled.withLock { $0 = true }
            }
        }
        // The task waits at a gate until its handle is in the box the hook reads.
        let (gate, open) = AsyncStream<Void>.makeStream()
        let waiter = Task {
            for await _ in gate { break }
            return try await pool.acquire()
        }
        waiterBox.withLock { $0 = waiter }
        open.yield()
        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        #expect(cancelled.withLock { $0 })
        #expect(pool.statistics.waiters == 0 && pool.statistics.timers == 0)
        await pool.release(held)
        await pool.close()
    }

    @Test("a waiter cancelled while registered leaves, and the timer stops with the last waiter")
    func cancelledWhileWaiting() async throws {
        let (pool, held) = try await exhaustedPool()
        let waiter = Task { try await pool.acquire() }
        try await eventually { pool.statistics.waiters == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        try await eventually { pool.statistics.timers == 0 }
        #expect(pool.statistics.waiters == 0)
        await pool.release(held)
        await pool.close()
    }

    @Test("all waits share one timer, stopped when the last waiter is served; none is left behind")
    func timersCancelledWhenServed() async throws {
        let (pool, held) = try await exhaustedPool(timeout: .seconds(60))
        // Each waiter gives the connection back at once, so they are served one after another in
        // whatever order they registered.
        let waiters = (0..<5).map { _ in
            Task {
                let connection = try await pool.acquire()
                await pool.release(connection)
                return connection
            }
        }
        try await eventually { pool.statistics.waiters == 5 }
        #expect(pool.statistics.timers == 1)
        await pool.release(held)
        for waiter in waiters { #expect(try await waiter.value === held) }
        // The stopped timer ends at once; one left running would live for 60 s.
        try await eventually { pool.statistics.timers == 0 }
        await pool.close()
    }

    @Test("waiters that nobody serves time out with poolTimeout, each at its own deadline, on the one timer")
    func manyTimeOut() async throws {
        let (pool, held) = try await exhaustedPool(timeout: .milliseconds(100))
        let clock = ContinuousClock()
        let started = clock.now
        let waiters = (0..<5).map { _ in Task { try await pool.acquire() } }
        for waiter in waiters {
            let error = await expectPostgresError { _ = try await waiter.value }
            #expect(error?.kind == .poolTimeout)
        }
        #expect(clock.now - started >= .milliseconds(100), "none failed before its deadline")
        try await eventually { pool.statistics.timers == 0 }
        #expect(pool.statistics.waiters == 0)
        // The pool still serves: the next waiter starts a timer afresh and is handed the connection.
        let next = Task { try await pool.acquire() }
        try await eventually { pool.statistics.waiters == 1 && pool.statistics.timers == 1 }
        await pool.release(held)
        #expect(try await next.value === held)
        await pool.release(held)
        await pool.close()
    }

    @Test("a waiter that nobody serves times out with poolTimeout")
    func timesOut() async throws {
        let (pool, held) = try await exhaustedPool(timeout: .milliseconds(50))
        let error = await expectPostgresError { _ = try await pool.acquire() }
        #expect(error?.kind == .poolTimeout)
        #expect(pool.statistics.waiters == 0)
        await pool.release(held)
        await pool.close()
    }
}

