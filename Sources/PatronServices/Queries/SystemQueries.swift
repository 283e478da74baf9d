import Postgres

/// Readiness and the service's own scheduled work.
public enum SystemQueries {
    /// Proves the service role reaches the schema (`/ready`).
    public static let ping: PostgresQuery = "select ps.ping()"
}
