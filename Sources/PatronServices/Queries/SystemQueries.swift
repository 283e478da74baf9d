import Postgres

/// Readiness and the service's own scheduled work.
public enum SystemQueries {
    /// Proves the service role reaches the schema (`/ready`).
    public static let ping: PostgresQuery = "select ps.ping()"

    /// Queues the membership expiry reminders now due; returns how many e-mails were queued.
    public static let queueMembershipReminders: PostgresQuery = "select (ps.queue_membership_reminders()->>'queued')::int"
}
