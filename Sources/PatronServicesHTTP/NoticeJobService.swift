import Logging
import PatronServices
import Postgres
import ServiceLifecycle

/// Runs the reminder jobs (`ps.run_notice_jobs`: almost overdue, record expiration, inactive patron,
/// bill and membership reminders) on a schedule, acting consortium-wide as the system. Each run is one
/// SQL call and idempotent per day, so runs every interval, a manual `notices run` and other service
/// processes doing the same never queue a notice twice.
public struct NoticeJobService: Service {
    let pool: PostgresPool
    let interval: Duration
    let logger: Logger

    public init(pool: PostgresPool, interval: Duration, logger: Logger) {
        self.pool = pool
        self.interval = interval
        self.logger = logger
    }

    /// Runs every job for `date` (default: today in the consortium's time zone); with `dryRun`, rolls
    /// back and only reports. Returns `ps.run_notice_jobs`'s summary (queued by kind and channel).
    public func runOnce(date: CivilDate? = nil, dryRun: Bool = false) async throws -> PostgresJSON {
        let query = NoticeQueries.runJobs(date: date)
        if dryRun {
            return try await pool.withConnection { connection in
                _ = try await connection.pipeline(NoticeQueries.jobOptions.prelude)
                let result: PostgresJSON
                do {
                    result = try await connection.query(query).scalar(PostgresJSON.self)
                } catch {
                    _ = try? await connection.execute("rollback")
                    throw error
                }
                _ = try await connection.execute("rollback")
                return result
            }
        }
        return try await pool.transactionalQuery(query, options: NoticeQueries.jobOptions).scalar(PostgresJSON.self)
    }

    public func run() async throws {
        // Stops at graceful shutdown: the sleep is cancelled with the service's task.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let summary = try await runOnce()
                    logger.info("notice jobs ran", metadata: ["summary": "\(summary.text)"])
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("notice jobs failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
