import CLibPQ
import Dispatch
import Foundation
import Logging
import Synchronization

/// One libpq connection.
///
/// libpq is a blocking C library, so, as sqlite-nio and GRDB do with SQLite, every call that touches the
/// `PGconn` runs on this connection's own serial dispatch queue: the caller's task suspends on a
/// continuation and no SwiftNIO event loop or cooperative-pool thread ever blocks on the network.
/// A connection is used by one task at a time (the pool sees to that); results are copied into
/// `Sendable` Swift values on the queue, so a `PGresult` never escapes it.
public final class PostgresConnection: @unchecked Sendable {
    // @unchecked Sendable: `handle` and `statements` are only read or written on `queue` (a serial
    // queue), and the only cross-thread state, `cancelState`, is behind a Mutex.
    // The non-blocking hot path (PostgresConnection+NonBlocking) touches them from the calling task,
    // which the pool guarantees is the connection's only user at that moment; continuations order it
    // after any earlier work on the queue.
    var handle: OpaquePointer?
    /// Statements prepared on this connection, by SQL text.
    private var statements: [String: PreparedStatement] = [:]

    struct PreparedStatement {
        let name: String
        /// The columns of the statement's last result: a prepared statement's result shape does not
        /// change, so rows of later results share these instead of rebuilding names and their index.
        var columns: PostgresColumns?
    }
    let queue: DispatchQueue
    let logger: Logger
    let cancelState = Mutex(CancelState())
    /// Set by ``close()`` before it queues, so a LISTEN loop occupying the queue lets it through.
    let closing = StopFlag()
    /// The session state after the last operation (a ``SessionState`` raw value), readable without
    /// a trip to the queue: the pool decides on release without waiting for the connection.
    let lastState = Atomic<UInt8>(SessionState.broken.rawValue)
    /// Set by the pool when it hands the connection out: the first operation first checks that the
    /// server has not gone away meanwhile, on the queue, in the same hop as the operation itself.
    let checkBeforeUse = Atomic<Bool>(false)
    /// When the pool last took the connection back (monotonic nanoseconds): a connection handed out
    /// again within ``PostgresPool/Configuration/livenessCheckAfter`` skips the check's `poll`.
    let releasedAt = Atomic<UInt64>(0)
    /// Debug builds: set while an operation runs (``exclusive(_:)``).
    let inUse = Atomic<Bool>(false)

    enum SessionState: UInt8 {
        case idle, inTransaction, failedTransaction, broken
    }
    /// A process-unique number, for logs and pool bookkeeping.
    public let id: Int

    /// A `PGcancel`, freed when the last reference goes: a cancel being sent keeps it alive after the
    /// connection has dropped its own reference (closed meanwhile).
    final class CancelHandle: @unchecked Sendable {
        // @unchecked Sendable: libpq documents `PQcancel` on a `PGcancel` as safe from any thread (even a
        // signal handler), and the pointer itself never changes.
        let pointer: OpaquePointer
        init(pointer: OpaquePointer) { self.pointer = pointer }
        deinit { PQfreeCancel(pointer) }

        /// Asks the server to cancel the running statement. `PQcancel` opens a new connection and
        /// waits for it, so it runs on a global dispatch queue: never under a lock, never on a
        /// cooperative-pool thread.
        func send() {
            DispatchQueue.global(qos: .userInitiated).async {
                var buffer = [CChar](repeating: 0, count: 256)
                _ = PQcancel(self.pointer, &buffer, Int32(buffer.count))
            }
        }
    }

    struct CancelState {
        var cancel: CancelHandle?
        var running: UInt64?
        var nextToken: UInt64 = 0
        var lastFinished: UInt64 = 0
        var cancelled: Set<UInt64> = []
    }

    private static let counter = Atomic<Int>(0)

    private init(logger: Logger) {
        self.id = Self.counter.add(1, ordering: .relaxed).newValue
        self.queue = DispatchQueue(label: "postgres.connection.\(id)")
        var logger = logger
        logger[metadataKey: "pg.connection"] = "\(id)"
        self.logger = logger
    }

    deinit {
        // No other reference exists at deinit, so touching the handle off the queue is safe here; the
        // cancel handle frees itself with its last reference.
        if let handle { PQfinish(handle) }
    }

    /// Opens a connection with `PQconnectdbParams`, then fixes the session settings the decoders
    /// rely on (ISO dates, UTC), turns JIT compilation off, and sets the configured `statement_timeout`.
    public static func connect(_ configuration: PostgresConfiguration, logger: Logger = Logger(label: "postgres"))
        async throws -> PostgresConnection
    {
        let connection = PostgresConnection(logger: logger)
        try await connection.onQueue { try connection.open(configuration) }
        return connection
    }

    private func open(_ configuration: PostgresConfiguration) throws {
        let pairs = configuration.keywordsAndValues
        let keywords = pairs.map { strdup($0.0) } + [nil]
        let values = pairs.map { strdup($0.1) } + [nil]
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let conn = keywords.withUnsafeBufferPointer { k in
            values.withUnsafeBufferPointer { v in
                k.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: k.count) { kp in
                    v.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: v.count) { vp in
                        PQconnectdbParams(kp, vp, 1)
                    }
                }
            }
        }
        guard let conn else { throw PostgresError(kind: .connectionFailed, message: "out of memory") }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(conn)).trimmingTrailingWhitespace
            PQfinish(conn)  // PQfinish on failed connects too: libpq allocated the PGconn regardless.
            throw PostgresError(kind: .connectionFailed, message: message)
        }
        PQsetNoticeProcessor(conn, { _, _ in }, nil)  // notices are not errors; keep them off stderr
        handle = conn
        // JIT off: the service's statements are short and keep cached plans, and PostgreSQL compiles a plan
        // whose estimated cost passes jit_above_cost on every execution. A desk's lookup by barcode spent
        // 280 ms of its 282 compiling, at a million patrons, for a branch of the plan it never ran.
        var setup = "set datestyle to 'ISO, YMD'; set intervalstyle to iso_8601; set timezone to 'UTC'; set extra_float_digits to 3; set jit to off"
        if let timeout = configuration.statementTimeoutMilliseconds { setup += "; set statement_timeout to \(timeout)" }
        _ = try simpleQuery(setup)
        recordState(conn)
        let cancel = PQgetCancel(conn).map { CancelHandle(pointer: $0) }
        cancelState.withLock { $0.cancel = cancel }
    }

    /// Closes the connection; later calls fail with `connectionClosed`.
    public func close() async {
        closing.stop()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.cancelState.withLock { $0.cancel = nil }
                if let handle = self.handle {
                    PostgresReactor.forget(PQsocket(handle))
                    PQfinish(handle)
                }
                self.handle = nil
                self.lastState.store(SessionState.broken.rawValue, ordering: .relaxed)
                continuation.resume()
            }
        }
    }

    // MARK: Running work on the connection's queue

    func onQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs `work` on the queue; if the calling task is cancelled meanwhile, the server is asked
    /// (`PQcancel`) to stop the statement, which then fails with SQLSTATE 57014.
    func cancellable<T: Sendable>(_ work: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        let token = cancelState.withLock { state -> UInt64 in
            state.nextToken += 1
            return state.nextToken
        }
        return try await withTaskCancellationHandler {
            try await onQueue {
                try self.cancelState.withLock { state in
                    if state.cancelled.remove(token) != nil {
                        throw PostgresError(kind: .cancelled, sqlState: .queryCanceled, message: "cancelled before it started")
                    }
                    state.running = token
                }
                defer {
                    self.cancelState.withLock { state in
                        state.running = nil
                        state.lastFinished = max(state.lastFinished, token)
                    }
                }
                let conn = try self.liveHandleCheckedForFirstUse()
                defer { self.recordState(conn) }
                return try work(conn)
            }
        } onCancel: {
            self.cancelIfRunning(token, rememberIfNotStarted: true)
        }
    }

    /// Sends a cancel for the operation `token` if it is the one running; with `rememberIfNotStarted`,
    /// an operation not yet started fails as soon as it starts. The send happens outside the lock.
    func cancelIfRunning(_ token: UInt64, rememberIfNotStarted: Bool) {
        let handle = cancelState.withLock { state -> CancelHandle? in
            if state.running == token { return state.cancel }
            if rememberIfNotStarted, token > state.lastFinished { state.cancelled.insert(token) }
            return nil
        }
        handle?.send()
    }

    func recordState(_ conn: OpaquePointer) {
        let state: SessionState
        if PQstatus(conn) != CONNECTION_OK {
            state = .broken
        } else {
            switch PQtransactionStatus(conn) {
            case PQTRANS_IDLE: state = .idle
            case PQTRANS_INTRANS: state = .inTransaction
            case PQTRANS_INERROR: state = .failedTransaction
            default: state = .broken
            }
        }
        lastState.store(state.rawValue, ordering: .relaxed)
    }

    /// The handle; on the first operation after the pool handed the connection out, also checks that
    /// the server has not closed it meanwhile (then throws a `staleBeforeUse` error the pool retries).
    func liveHandleCheckedForFirstUse() throws -> OpaquePointer {
        let conn = try liveHandle()
        if checkBeforeUse.exchange(false, ordering: .relaxed), !isIdleAndAlive(conn) {
            lastState.store(SessionState.broken.rawValue, ordering: .relaxed)
            var error = PostgresError(kind: .connectionClosed, message: "the server closed the connection while it was idle")
            error.staleBeforeUse = true
            throw error
        }
        return conn
    }

    func liveHandle() throws -> OpaquePointer {
        guard let handle else { throw PostgresError(kind: .connectionClosed, message: "connection is closed") }
        return handle
    }

    // MARK: Queries

    /// Runs a statement as a prepared statement (prepared once per connection, then reused).
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresResult {
        try query.checkBinds()
        return try await exclusive { try await queryNonBlocking(query) }
    }

    /// Runs SQL text with the simple protocol: several statements at once, no parameters. Returns the
    /// last statement's result. For migrations and administration, not for request paths.
    @discardableResult
    public func execute(_ sql: String) async throws -> PostgresResult {
        try await exclusive { try await cancellable { _ in try self.simpleQuery(sql) } }
    }

    /// Debug builds check the pool's promise that a connection has one user at a time: two tasks on
    /// one connection would interleave libpq calls and the statement cache, and corrupt the session.
    func exclusive<T>(_ body: () async throws -> T) async throws -> T {
        #if DEBUG
        let (claimed, _) = inUse.compareExchange(expected: false, desired: true, ordering: .acquiring)
        precondition(claimed, "PostgresConnection \(id) used by two tasks at once")
        defer { inUse.store(false, ordering: .releasing) }
        #endif
        return try await body()
    }

    func simpleQuery(_ sql: String) throws -> PostgresResult {
        let conn = try liveHandle()
        let result = PQexec(conn, sql)
        defer { PQclear(result) }
        return try readResult(conn, result, sql: sql)
    }

    func preparedName(for sql: String) -> String? { statements[sql]?.name }

    func statementName(_ conn: OpaquePointer, for query: PostgresQuery) throws -> String {
        if let name = statements[query.sql]?.name { return name }
        let name = "ps_\(statements.count)"
        let result = PQprepare(conn, name, query.sql, Int32(query.binds.count), nil)
        defer { PQclear(result) }
        _ = try readResult(conn, result, sql: query.sql)
        statements[query.sql] = PreparedStatement(name: name)
        return name
    }

    func execPrepared(_ conn: OpaquePointer, _ query: PostgresQuery) throws -> PostgresResult {
        let name = try statementName(conn, for: query)
        let result = withCStrings(query.binds) { values in
            PQexecPrepared(conn, name, Int32(query.binds.count), values, nil, nil, 0)
        }
        defer { PQclear(result) }
        return try readResult(conn, result, sql: query.sql)
    }

    /// Copies a result into Swift values, or turns it into a ``PostgresError``.
    func readResult(_ conn: OpaquePointer, _ result: OpaquePointer?, sql: String?) throws -> PostgresResult {
        guard let result else { throw connectionError(conn, sql: sql) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE, PGRES_EMPTY_QUERY:
            let fieldCount = Int(PQnfields(result))
            let rowCount = Int(PQntuples(result))
            let columns = columns(of: result, fieldCount: fieldCount, sql: sql)
            var rows: [PostgresRow] = []
            rows.reserveCapacity(rowCount)
            for row in 0..<Int32(rowCount) {
                var values: [String?] = []
                values.reserveCapacity(fieldCount)
                for field in 0..<Int32(fieldCount) {
                    values.append(PQgetisnull(result, row, field) == 1 ? nil : String(cString: PQgetvalue(result, row, field)))
                }
                rows.append(PostgresRow(columns: columns, values: values))
            }
            let tuples = String(cString: PQcmdTuples(result))
            return PostgresResult(columns: columns, rows: rows, affectedRows: Int(tuples) ?? rowCount)
        default:
            throw serverError(conn, result, sql: sql)
        }
    }

    /// The result's columns, reusing those cached for a prepared statement's `sql` when every name still matches.
    private func columns(of result: OpaquePointer, fieldCount: Int, sql: String?) -> PostgresColumns {
        if let sql, let cached = statements[sql]?.columns, cached.names.count == fieldCount,
            cached.names.indices.allSatisfy({ index in cached.names[index].withCString { strcmp($0, PQfname(result, Int32(index))) == 0 } })
        {
            return cached
        }
        let columns = PostgresColumns(names: (0..<fieldCount).map { String(cString: PQfname(result, Int32($0))) })
        if let sql, fieldCount > 0 { statements[sql]?.columns = columns }
        return columns
    }
}

/// Passes optional Swift strings to C as `const char * const *`, NULL standing for SQL NULL.
func withCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    if strings.isEmpty { return body(nil) }
    let pointers = strings.map { $0.map { strdup($0) } ?? nil }
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buffer.count, 1)) { body($0) }
    }
}

extension PostgresConnection {
    /// Opens a connection for `body` and closes it afterwards, whether `body` returns or throws.
    @discardableResult
    public static func with<T: Sendable>(
        _ configuration: PostgresConfiguration, logger: Logger = Logger(label: "postgres"),
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await connect(configuration, logger: logger)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }
}
