import CLibPQ
import Foundation
import Synchronization

extension PostgresConnection {
    /// Runs one prepared statement with libpq's non-blocking API from the calling task, awaiting socket
    /// readiness on the ``PostgresReactor`` rather than blocking any thread. Falls back to the connection's
    /// queue the first time a statement is seen on this connection (to prepare it).
    func queryNonBlocking(_ query: PostgresQuery) async throws -> PostgresResult {
        guard let conn = handle, let name = preparedName(for: query.sql) else {
            return try await cancellable { conn in try self.execPrepared(conn, query) }
        }
        if checkBeforeUse.exchange(false, ordering: .relaxed), !isIdleAndAlive(conn) {
            lastState.store(SessionState.broken.rawValue, ordering: .relaxed)
            var error = PostgresError(kind: .connectionClosed, message: "the server closed the connection while it was idle")
            error.staleBeforeUse = true
            throw error
        }
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
            let sent = withCStrings(query.binds) { values in
                PQsendQueryPrepared(conn, name, Int32(query.binds.count), values, nil, nil, 0)
            }
            guard sent == 1 else { throw connectionError(conn, sql: query.sql) }
            let socket = PQsocket(conn)
            while true {
                let flushed = PQflush(conn)
                if flushed == 0 { break }
                if flushed < 0 { throw connectionError(conn, sql: query.sql) }
                await PostgresReactor.shared.wait(socket, for: .writable)
            }
            var outcome: Result<PostgresResult, any Error>?
            while true {
                while PQisBusy(conn) == 1 {
                    await PostgresReactor.shared.wait(socket, for: .readable)
                    guard PQconsumeInput(conn) == 1 else { throw connectionError(conn, sql: query.sql) }
                }
                guard let result = PQgetResult(conn) else { break }
                if outcome == nil { outcome = Result { try readResult(conn, result, sql: query.sql) } }
                PQclear(result)
            }
            guard let outcome else { throw connectionError(conn, sql: query.sql) }
            return try outcome.get()
        } onCancel: {
            cancelState.withLock { state in
                if state.running == token, let cancel = state.cancel {
                    var buffer = [CChar](repeating: 0, count: 256)
                    _ = PQcancel(cancel.pointer, &buffer, Int32(buffer.count))
                }
            }
        }
    }
}
