import Postgres

/// The staff roles a route allows, with the PostgreSQL array text that `ps.authenticate_staff` takes
/// made once, when the route is registered: encoding the array for every request (a key path, generic
/// metadata and quoting per element) cost about 3% of the service's CPU per request.
public struct AllowedStaffRoles: Sendable, Equatable {
    public let roles: [StaffRole]
    /// The roles as a PostgreSQL text array literal, `{consortium_admin,library_admin}`.
    public let arrayText: String

    public init(_ roles: [StaffRole]) {
        self.roles = roles
        self.arrayText = roles.map { $0.rawValue }.postgresText ?? "{}"
    }

    /// No role: a route open without a staff token (every request context starts with it).
    public static let none = AllowedStaffRoles([])

    /// True for a route open without a staff token.
    public var isEmpty: Bool { roles.isEmpty }
}
