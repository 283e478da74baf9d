import CLibPQ
import Foundation

extension PostgresConnection {
    /// Where the session stands with respect to transactions, as libpq reports it.
    public enum TransactionState: Sendable {
        case idle, inTransaction, failedTransaction, active, unknown
    }

    /// Whether the connection is open, idle, and its server still there. Cheap: a zero-timeout `poll`.
    /// A pooled connection has nothing to hear while idle (it never LISTENs): a readable socket means
    /// the server is saying goodbye (restart, `pg_terminate_backend`), which libpq would only notice at
    /// the next read, so it counts as broken now. Runs on the queue.
    func isIdleAndAlive(_ conn: OpaquePointer) -> Bool {
        guard PQstatus(conn) == CONNECTION_OK, PQtransactionStatus(conn) == PQTRANS_IDLE else { return false }
        var descriptor = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    /// The session's transaction state.
    public func transactionState() async -> TransactionState {
        (try? await onQueue { () -> TransactionState in
            guard let conn = try? self.liveHandle(), PQstatus(conn) == CONNECTION_OK else { return .unknown }
            switch PQtransactionStatus(conn) {
            case PQTRANS_IDLE: return .idle
            case PQTRANS_INTRANS: return .inTransaction
            case PQTRANS_INERROR: return .failedTransaction
            case PQTRANS_ACTIVE: return .active
            default: return .unknown
            }
        }) ?? .unknown
    }

    /// Whether libpq still considers the connection usable.
    public func isOpen() async -> Bool {
        (try? await onQueue { () -> Bool in
            guard let conn = try? self.liveHandle() else { return false }
            return PQstatus(conn) == CONNECTION_OK
        }) ?? false
    }

    /// The server's process id for this session (for `pg_cancel_backend` and tests).
    public func backendPID() async throws -> Int32 {
        try await onQueue { PQbackendPID(try self.liveHandle()) }
    }

    /// Quotes an identifier with libpq's own rules (for LISTEN channels and DDL the code composes).
    public func quoteIdentifier(_ name: String) async throws -> String {
        try await onQueue {
            let conn = try self.liveHandle()
            guard let quoted = PQescapeIdentifier(conn, name, name.utf8.count) else {
                throw PostgresError.client("cannot quote identifier")
            }
            defer { PQfreemem(quoted) }
            return String(cString: quoted)
        }
    }
}
