/// The database roles the service relies on. Names are fixed because migrations grant to them.
public enum DatabaseRoles {
    /// Owns every object; migrations run as this role.
    public static let owner = "patron_owner"
    /// The service: owns nothing, has no BYPASSRLS, cannot see past row-level security.
    public static let app = "patron_app"
    /// Report writers and BI tools: read-only.
    public static let report = "patron_report"
}
