import CLibPQ
import Foundation
import Synchronization

/// A message sent with `NOTIFY` / `pg_notify`.
public struct PostgresNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
    public var senderPID: Int32
}

extension PostgresConnection {
    /// Listens on `channels` and streams their notifications until the stream is dropped or the
    /// connection fails. The connection is dedicated to listening from then on: use one outside the pool.
    public func notifications(channels: [String]) async throws -> AsyncThrowingStream<PostgresNotification, any Error> {
        for channel in channels {
            let quoted = try await quoteIdentifier(channel)
            try await execute("listen \(quoted)")
        }
        let stopped = StopFlag()
        let (stream, continuation) = AsyncThrowingStream<PostgresNotification, any Error>.makeStream()
        continuation.onTermination = { _ in stopped.stop() }
        queue.async {
            // Waits on the socket in short slices so that dropping the stream ends the loop promptly.
            while !stopped.isStopped && !self.closing.isStopped {
                guard let conn = try? self.liveHandle() else {
                    continuation.finish(throwing: PostgresError(kind: .connectionClosed, message: "connection is closed"))
                    return
                }
                var descriptor = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
                if poll(&descriptor, 1, 100) > 0 {
                    guard PQconsumeInput(conn) == 1 else {
                        continuation.finish(throwing: self.connectionError(conn, sql: nil))
                        return
                    }
                    while let raw = PQnotifies(conn) {
                        let notification = PostgresNotification(
                            channel: String(cString: raw.pointee.relname),
                            payload: String(cString: raw.pointee.extra),
                            senderPID: raw.pointee.be_pid)
                        PQfreemem(raw)
                        continuation.yield(notification)
                    }
                }
            }
            continuation.finish()
        }
        return stream
    }
}

/// Set once, read from the listening loop.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func stop() { flag.store(true, ordering: .relaxed) }
    var isStopped: Bool { flag.load(ordering: .relaxed) }
}
