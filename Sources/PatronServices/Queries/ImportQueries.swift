import Postgres

/// Import runs and their reject reports.
public enum ImportQueries {
    public static func job(_ id: Int64) -> PostgresQuery { "select ps.import_job_api(\(id))" }

    public static func jobs(before: Int64?, limit: Int?) -> PostgresQuery { "select ps.import_jobs(\(before), \(limit))" }
}
