import CLibPQ
import Foundation
import Synchronization

extension PostgresConnection {
    /// Runs one prepared statement with libpq's non-blocking API from the calling task, awaiting socket
    /// readiness on the ``PostgresReactor`` rather than blocking any thread. The first time a statement
    /// is seen on this connection it goes through the queue instead, which prepares it.
    func queryNonBlocking(_ query: PostgresQuery) async throws -> PostgresResult {
        guard let name = preparedName(for: query.sql) else {
            return try await cancellable { conn in try self.execPrepared(conn, query) }
        }
        return try await nonBlocking { conn, io in
            try io.send(query, name)
            try await io.flush()
            var outcome: Result<PostgresResult, any Error>?
            while let result = try await io.nextResult() {
                if outcome == nil { outcome = Result { try self.readResult(conn, result, sql: query.sql) } }
                PQclear(result)
            }
            guard let outcome else { throw self.connectionError(conn, sql: query.sql) }
            return try outcome.get()
        }
    }

    /// ``pipeline(_:)`` without blocking a thread: one send, one sync, results read as they arrive.
    func pipelineNonBlocking(_ queries: [PostgresQuery]) async throws -> [PostgresResult] {
        let names = queries.map { preparedName(for: $0.sql) }
        guard names.allSatisfy({ $0 != nil }) else {
            return try await cancellable { conn in try self.runPipeline(conn, queries) }
        }
        return try await nonBlocking { conn, io in
            guard PQenterPipelineMode(conn) == 1 else { throw self.connectionError(conn, sql: nil) }
            defer { PQexitPipelineMode(conn) }
            for (query, name) in zip(queries, names) {
                try io.send(query, name!)
            }
            guard PQpipelineSync(conn) == 1 else { throw self.connectionError(conn, sql: nil) }
            try await io.flush()
            var results: [PostgresResult] = []
            var firstError: (any Error)?
            for query in queries {
                guard let result = try await io.nextResult() else { throw self.connectionError(conn, sql: query.sql) }
                if PQresultStatus(result) != PGRES_PIPELINE_ABORTED {
                    do {
                        results.append(try self.readResult(conn, result, sql: query.sql))
                    } catch {
                        firstError = firstError ?? error
                    }
                }
                PQclear(result)
                while let extra = try await io.nextResult() { PQclear(extra) }  // each statement ends with a NULL
            }
            while let result = try await io.nextResult() {  // the sync point
                let status = PQresultStatus(result)
                PQclear(result)
                if status == PGRES_PIPELINE_SYNC { break }
            }
            if let firstError { throw firstError }
            return results
        }
    }

    /// The non-blocking operations a hot-path call needs, bound to one connection.
    struct NonBlockingIO {
        let connection: PostgresConnection
        let conn: OpaquePointer
        let socket: Int32

        /// Sends `query` as prepared statement `name`; its results in text (`resultFormat` 0) or binary (1).
        func send(_ query: PostgresQuery, _ name: String, resultFormat: Int32 = 0) throws {
            try connection.sendPrepared(conn, query, name, resultFormat: resultFormat)
        }

        func flush() async throws {
            while true {
                let flushed = PQflush(conn)
                if flushed == 0 { return }
                if flushed < 0 { throw connection.connectionError(conn, sql: nil) }
                await PostgresReactor.forWaiting(socket).wait(socket, for: .writable)
            }
        }

        /// The next result, waiting for input without blocking; nil at the end of a statement's results.
        ///
        /// Reads before waiting: sending wakes the server process, which on a busy machine often runs
        /// the statement before this task runs again, so the answer is usually already there and one
        /// `recv` replaces registering with epoll and a hand-off from the reactor thread. The second
        /// read comes after a yield; only then does the task wait on the reactor, which reads for it and
        /// resumes it with the whole result (then there is nothing left to read here) or after a failure
        /// (which the read here reports).
        ///
        /// `pausing`, when given, runs once each time the task is about to give way for want of input: a
        /// streaming reader passes on there what it has made of the rows so far.
        func nextResult(pausing: (() async throws -> Void)? = nil) async throws -> OpaquePointer? {
            var attempts = 0
            while PQisBusy(conn) == 1 {
                switch attempts {
                case 0: break
                case 1:
                    try await pausing?()
                    await Task.yield()
                default:
                    await PostgresReactor.forWaiting(socket).waitForResult(conn, socket: socket)
                    if PQisBusy(conn) == 0 { continue }
                }
                attempts += 1
                guard PQconsumeInput(conn) == 1 else { throw connection.connectionError(conn, sql: nil) }
            }
            return PQgetResult(conn)
        }
    }

    /// Liveness check, cancellation (PQcancel), non-blocking mode and session-state bookkeeping around `body`.
    func nonBlocking<T: Sendable>(_ body: (OpaquePointer, NonBlockingIO) async throws -> T) async throws -> T {
        let conn = try liveHandleCheckedForFirstUse()
        let token = cancelState.withLock { state -> UInt64 in
            state.nextToken += 1
            state.running = state.nextToken
            return state.nextToken
        }
        defer {
            cancelState.withLock { state in
                state.running = nil
                state.lastFinished = max(state.lastFinished, token)
            }
            recordState(conn)
        }
        return try await withTaskCancellationHandler {
            try Task.checkCancellation()
            PQsetnonblocking(conn, 1)
            defer { PQsetnonblocking(conn, 0) }
            return try await body(conn, NonBlockingIO(connection: self, conn: conn, socket: PQsocket(conn)))
        } onCancel: {
            cancelIfRunning(token, rememberIfNotStarted: false)
        }
    }
}
