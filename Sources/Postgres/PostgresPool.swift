import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// A bounded pool of connections, run as a `Service`.
///
/// Connections are opened on demand up to ``Configuration/maxConnections``; when all are busy,
/// callers wait (FIFO) up to ``Configuration/acquireTimeout`` and then fail with `poolTimeout`. At most
/// ``Configuration/maxWaiters`` wait: one more fails at once with `poolBusy`, so a burst of clients
/// queues in front of PostgreSQL (whose throughput falls when it runs more backends than it has cores)
/// rather than in it, and past the queue a client hears "busy, retry" instead of waiting out a timeout.
/// A connection is checked before it is handed out (a server restart or a killed backend is
/// noticed and the connection replaced) and on return (one left in a transaction is rolled back,
/// one that cannot be is closed), so no caller ever receives a broken or mid-transaction session.
public final class PostgresPool: Service, Sendable {
    public struct Configuration: Sendable {
        public var connection: PostgresConfiguration
        public var maxConnections: Int
        public var acquireTimeout: Duration
        /// How long a connection may sit idle in the pool before it is checked for a server-side close
        /// (one `poll`) on hand-out. Connections back for less are handed out unchecked: under load the
        /// check was a tenth of the pool's system time, and a server closing a connection that was in
        /// use moments ago is rare (that request then fails as unavailable).
        public var livenessCheckAfter: Duration
        /// How many callers may wait for a connection at once; the next fails with `poolBusy`.
        public var maxWaiters: Int

        public init(
            connection: PostgresConfiguration, maxConnections: Int = 8, acquireTimeout: Duration = .seconds(5),
            livenessCheckAfter: Duration = .milliseconds(50), maxWaiters: Int = 1_024
        ) {
            self.connection = connection
            self.maxConnections = max(1, maxConnections)
            self.acquireTimeout = acquireTimeout
            self.livenessCheckAfter = livenessCheckAfter
            self.maxWaiters = max(0, maxWaiters)
        }
    }

    /// A snapshot for metrics and readiness.
    public struct Statistics: Sendable, Equatable {
        public var inUse: Int
        public var idle: Int
        public var waiters: Int
        public var opened: Int
        /// Acquire-timeout timers armed: one while any caller waits (all waits share it), none otherwise.
        public var timers: Int
    }

    /// What an acquirer is given: a connection, or the right to open one (counted in the pool's total).
    enum Grant: Sendable {
        case connection(PostgresConnection)
        case open
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Grant, any Error>
        /// When it fails with `poolTimeout`. Every wait is as long and the queue is FIFO, so the
        /// deadlines rise from the head: one timer, set for the head's, serves them all.
        let deadline: ContinuousClock.Instant
    }

    /// The pool's whole state, changed only under `state`'s lock: every decision (hand out, open, wait,
    /// hand over, time out, cancel) is one critical section that returns what to do outside the lock.
    private struct State {
        var idle: [PostgresConnection] = []
        /// Connections open or being opened (idle ones included).
        var total = 0
        /// FIFO.
        var waiters: [Waiter] = []
        /// Ids handed to acquirers that decided to wait but have not registered yet; `true` once
        /// cancelled meanwhile, so that registering fails at once instead of waiting out the timeout.
        var unregistered: [UInt64: Bool] = [:]
        var nextWaiterID: UInt64 = 0
        var closed = false
        var opened = 0
        /// The one timer of the waits (``PostgresPool/expireWaiters()``), running while anyone waits.
        /// One `Task.sleep` per wait cost a task, a Dispatch timer and its cancellation each: at 32
        /// clients on a pool of 6, Dispatch's threads took 15% of the service's CPU.
        var timer: Task<Void, Never>?
        /// The last attempt to open a connection failed (logged once, until one succeeds again).
        var unreachable = false

        /// A connection or the right to open one, if either is free now.
        mutating func grantNow(maxConnections: Int) throws -> Grant? {
            if closed { throw PostgresError(kind: .poolClosed, message: "pool closed") }
            if let connection = idle.popLast() { return .connection(connection) }
            if total < maxConnections {
                total += 1
                return .open
            }
            return nil
        }

        /// Takes the first waiter out of the queue (to serve it), stopping the timer if none is left.
        mutating func removeFirstWaiter() -> Waiter {
            let waiter = waiters.removeFirst()
            if waiters.isEmpty { stopTimer() }
            return waiter
        }

        mutating func stopTimer() {
            timer?.cancel()
            timer = nil
        }
    }

    /// Test seams: run between an acquirer's decision to wait and its registration.
    struct Hooks: Sendable {
        var beforeRegistering: (@Sendable () async -> Void)?
    }

    public let configuration: Configuration
    let logger: Logger
    private let state = Mutex(State())
    let hooks = Mutex(Hooks())
    /// ``Configuration/livenessCheckAfter`` in the unit `releasedAt` uses, converted once.
    private let livenessCheckAfterNanoseconds: UInt64

    public init(configuration: Configuration, logger: Logger = Logger(label: "postgres.pool")) {
        self.configuration = configuration
        self.logger = logger
        let (seconds, attoseconds) = configuration.livenessCheckAfter.components
        livenessCheckAfterNanoseconds = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds / 1_000_000_000))
    }

    public var statistics: Statistics {
        state.withLock { state in
            Statistics(
                inUse: state.total - state.idle.count, idle: state.idle.count, waiters: state.waiters.count,
                opened: state.opened, timers: state.timer == nil ? 0 : 1)
        }
    }

    /// Lends a connection to `body` and takes it back afterwards, whatever happens.
    ///
    /// If the connection turns out to have been closed by the server while it sat idle (found on its
    /// first use, before anything was sent), `body` is run again once on a fresh connection.
    public func withConnection<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        var attempts = 0
        while true {
            attempts += 1
            let connection = try await acquire()
            do {
                let result = try await body(connection)
                await release(connection)
                return result
            } catch let error as PostgresError where error.staleBeforeUse && attempts < 3 {
                logger.info("replacing a pooled connection the server had closed", metadata: ["pg.connection": "\(connection.id)"])
                await discard(connection)
            } catch {
                await release(connection)
                throw error
            }
        }
    }

    /// Runs one prepared statement on a pooled connection (autocommit).
    public func query(_ query: PostgresQuery) async throws -> PostgresResult {
        try await withConnection { try await $0.query(query) }
    }

    // MARK: Service

    /// Keeps the pool open until graceful shutdown, then closes it.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Fails waiting callers, closes idle connections; busy ones are closed when returned.
    public func close() async {
        let (idle, waiters) = state.withLock { state -> ([PostgresConnection], [Waiter]) in
            state.closed = true
            let idle = state.idle
            let waiters = state.waiters
            state.total -= idle.count
            state.idle.removeAll()
            state.waiters.removeAll()
            state.stopTimer()
            return (idle, waiters)
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(kind: .poolClosed, message: "pool closed"))
        }
        for connection in idle { await connection.close() }
    }

    // MARK: Acquire and release

    private enum FirstLook {
        case granted(Grant)
        case wait(UInt64)
    }

    func acquire() async throws -> PostgresConnection {
        let maxConnections = configuration.maxConnections, maxWaiters = configuration.maxWaiters
        let look = try state.withLock { state -> FirstLook in
            if let grant = try state.grantNow(maxConnections: maxConnections) { return .granted(grant) }
            // Those registered and those about to register both count: the queue never grows past the bound.
            if state.waiters.count + state.unregistered.count >= maxWaiters {
                throw PostgresError(kind: .poolBusy, message: "\(maxWaiters) callers already wait for a connection")
            }
            state.nextWaiterID += 1
            state.unregistered[state.nextWaiterID] = false
            return .wait(state.nextWaiterID)
        }
        switch look {
        case .granted(let grant):
            return try await take(grant)
        case .wait(let id):
            if let hook = hooks.withLock({ $0.beforeRegistering }) { await hook() }
            return try await take(try await wait(id))
        }
    }

    private func take(_ grant: Grant) async throws -> PostgresConnection {
        switch grant {
        case .connection(let connection):
            let idle = DispatchTime.now().uptimeNanoseconds &- connection.releasedAt.load(ordering: .relaxed)
            connection.checkBeforeUse.store(idle >= livenessCheckAfterNanoseconds, ordering: .relaxed)
            return connection
        case .open:
            return try await open()
        }
    }

    private func open() async throws -> PostgresConnection {
        do {
            let connection = try await PostgresConnection.connect(configuration.connection, logger: logger)
            let recovered = state.withLock { state -> Bool in
                state.opened += 1
                defer { state.unreachable = false }
                return state.unreachable
            }
            if recovered { logger.info("database reachable again") }
            return connection
        } catch {
            // The slot is free again: the first waiter may try to open one itself (and, while the
            // database is down, fail fast rather than wait out its timeout).
            let (waiter, newlyUnreachable) = state.withLock { state -> (Waiter?, Bool) in
                state.total -= 1
                let newly = !state.unreachable
                state.unreachable = true
                guard !state.closed, !state.waiters.isEmpty else { return (nil, newly) }
                state.total += 1
                return (state.removeFirstWaiter(), newly)
            }
            if newlyUnreachable { logger.error("database unreachable", metadata: ["error": "\(error)"]) }
            if let waiter {
                waiter.continuation.resume(returning: .open)
            }
            throw error
        }
    }

    private enum Registration {
        case granted(Grant)
        case failed(any Error)
        case registered
    }

    /// Waits for a connection. Whether one has become free since the first look, and registering
    /// otherwise, is one critical section: a release in between cannot park a connection idle while
    /// this caller waits. The first waiter of a busy spell starts the waits' one timer.
    private func wait(_ id: UInt64) async throws -> Grant {
        let timeout = configuration.acquireTimeout
        let maxConnections = configuration.maxConnections
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Grant, any Error>) in
                let registration = state.withLock { state -> Registration in
                    let cancelled = state.unregistered.removeValue(forKey: id) ?? false
                    if cancelled { return .failed(CancellationError()) }
                    do {
                        if let grant = try state.grantNow(maxConnections: maxConnections) { return .granted(grant) }
                    } catch {
                        return .failed(error)
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation, deadline: .now + timeout))
                    if state.timer == nil { state.timer = Task { [weak self] in await self?.expireWaiters() } }
                    return .registered
                }
                switch registration {
                case .granted(let grant): continuation.resume(returning: grant)
                case .failed(let error): continuation.resume(throwing: error)
                case .registered: break
                }
            }
        } onCancel: {
            let cancelledBeforeRegistration = state.withLock { state -> Bool in
                guard state.unregistered[id] != nil else { return false }
                state.unregistered[id] = true
                return true
            }
            if !cancelledBeforeRegistration { failWaiter(id, CancellationError()) }
        }
    }

    private func failWaiter(_ id: UInt64, _ error: any Error) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            defer { if state.waiters.isEmpty { state.stopTimer() } }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }

    /// The waits' one timer: sleeps until the head's deadline, fails every waiter whose deadline has
    /// passed with `poolTimeout`, and sleeps again until the new head's; ends when nobody waits (or when
    /// it is stopped, because the last waiter was served or the pool closed).
    private func expireWaiters() async {
        let timeout = configuration.acquireTimeout
        while true {
            let step = state.withLock { state -> (expired: [Waiter], next: ContinuousClock.Instant?) in
                // Stopped under the lock, so a timer started after it is never the one cleared here.
                if Task.isCancelled { return ([], nil) }
                let now = ContinuousClock.now
                let due = state.waiters.prefix { $0.deadline <= now }.count
                let expired = Array(state.waiters.prefix(due))
                state.waiters.removeFirst(due)
                guard let next = state.waiters.first?.deadline else {
                    state.timer = nil
                    return (expired, nil)
                }
                return (expired, next)
            }
            for waiter in step.expired {
                waiter.continuation.resume(throwing: PostgresError(kind: .poolTimeout, message: "no connection free within \(timeout)"))
            }
            guard let next = step.next else { return }
            try? await Task.sleep(until: next, clock: .continuous)
        }
    }

    /// Takes a connection back: rolls back a transaction left open, drops a broken connection.
    func release(_ connection: PostgresConnection) async {
        connection.releasedAt.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
        var session = PostgresConnection.SessionState(rawValue: connection.lastState.load(ordering: .relaxed)) ?? .broken
        if session == .inTransaction || session == .failedTransaction {
            _ = try? await connection.execute("rollback")
            session = PostgresConnection.SessionState(rawValue: connection.lastState.load(ordering: .relaxed)) ?? .broken
        }
        guard session == .idle else {
            await discard(connection)
            return
        }
        enum ReleaseAction {
            case handOver(Waiter)
            case pooled
            case close
        }
        let action = state.withLock { state -> ReleaseAction in
            if state.closed {
                state.total -= 1
                return .close
            }
            if !state.waiters.isEmpty { return .handOver(state.removeFirstWaiter()) }
            state.idle.append(connection)
            return .pooled
        }
        switch action {
        case .handOver(let waiter):
            waiter.continuation.resume(returning: .connection(connection))
        case .pooled: break
        case .close: await connection.close()
        }
    }

    /// Closes a connection that can no longer be used; the first waiter, if any, may open a replacement.
    func discard(_ connection: PostgresConnection) async {
        await connection.close()
        let waiter = state.withLock { state -> Waiter? in
            state.total -= 1
            guard !state.closed, !state.waiters.isEmpty else { return nil }
            state.total += 1
            return state.removeFirstWaiter()
        }
        guard let waiter else { return }
        waiter.continuation.resume(returning: .open)
    }
}
extension PostgresPool {
    /// Runs `body` (and the child tasks it creates) on a Postgres reactor (the caller's, if it runs on
    /// one), so that statements on the non-blocking path never hop between threads. For batch jobs and
    /// benchmarks that issue many statements; HTTP handlers already run on one.
    public func withEventLoop<Result: Sendable>(_ body: () async throws -> Result) async rethrows -> Result {
        try await withTaskExecutorPreference(PostgresReactor.currentOrNext, operation: body)
    }
}
