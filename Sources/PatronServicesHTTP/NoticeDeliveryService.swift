import Logging
import NIOPosix
import PatronServices
import Postgres
import ServiceLifecycle

/// Delivers notices in `serve`: drains what is due, waits `interval`, and again, until shutdown. The
/// blocking SMTP work runs on a thread pool of its own, never on the event loops.
struct NoticeDeliveryService: Service {
    let pool: PostgresPool
    let configuration: NoticeDelivery.Configuration
    let interval: Duration
    let metrics: AppMetrics
    let logger: Logger
    let name: String

    func run() async throws {
        let threads = NIOThreadPool(numberOfThreads: configuration.workers)
        threads.start()
        defer { threads.shutdownGracefully { _ in } }
        let metrics = metrics
        let delivery = NoticeDelivery(pool: pool, configuration: configuration, logger: logger, threads: threads) { kind, outcome in
            metrics.recordNotice(kind: kind, outcome: outcome)
        }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let counts = try await delivery.drain(name: name)
                    if counts.claimed > 0 {
                        logger.info("notices delivered", metadata: ["sent": "\(counts.sent)", "retrying": "\(counts.temporary)", "dead": "\(counts.permanent)"])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("notice delivery failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
