import PatronServices
import Postgres

/// Who a staff request is from, as `ps.authenticate_staff` established it inside the request's transaction.
public struct StaffIdentity: Sendable {
    public var tokenID: Int64
    /// nil for consortium-wide tokens.
    public var institutionID: Int64?
    public var role: StaffRole

    init(row: PostgresRow) throws {
        tokenID = try row.decode("token_id", as: Int64.self)
        institutionID = try row.decode("institution_id", as: Int64?.self)
        role = StaffRole(rawValue: try row.decode("role", as: String.self)) ?? .reportReader
    }
}
