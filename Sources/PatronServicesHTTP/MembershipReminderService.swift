import Logging
import PatronServices
import Postgres
import ServiceLifecycle

/// Queues membership expiry reminders on a schedule, so they go out the set number of days before
/// expiry without anyone calling `POST /staff/v1/membership-reminders`. Each run is one SQL call,
/// acting consortium-wide as the system (`ps.actor` = `system:membership-reminders`); a membership is
/// reminded once, so runs overlapping a manual call or another process do no harm.
struct MembershipReminderService: Service {
    let pool: PostgresPool
    let interval: Duration
    let logger: Logger

    /// Queues what is due now; returns how many e-mails were queued.
    @discardableResult
    func runOnce() async throws -> Int {
        let options = TransactionOptions(settings: [("ps.role", "consortium_admin"), ("ps.actor", "system:membership-reminders")])
        let result = try await pool.transactionalQuery(SystemQueries.queueMembershipReminders, options: options)
        return try result.scalar(Int.self)
    }

    func run() async throws {
        // Stops at graceful shutdown: the sleep is cancelled with the service's task.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let queued = try await runOnce()
                    if queued > 0 { logger.info("queued membership expiry reminders", metadata: ["count": "\(queued)"]) }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("queueing membership reminders failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
