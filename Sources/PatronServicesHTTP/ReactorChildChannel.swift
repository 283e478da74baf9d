import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Postgres

/// An HTTP connection whose task runs on one of the Postgres reactors (given in turn), so that a
/// request's handler, its statement's wait and its resumption share a thread.
///
/// On Swift's global pool the hot path woke a worker for the handler, the reactor for the answer, a
/// worker again to resume the handler, and the event loop to write: at one client, six context switches
/// and three migrations between cores per request, measured with `perf stat`. On a reactor the answer
/// resumes the handler where it waits. Reactors are one per core, so connections spread over the cores
/// as SwiftNIO's event loops do. Nothing in a handler blocks its thread: libpq's blocking calls run on
/// each connection's own queue (see `PostgresConnection`).
struct ReactorChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value
    let inner: Inner

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(PostgresReactor.next()) {
            await inner.handle(value: value, logger: logger)
        }
    }
}
