import Postgres

/// Staff roles, from most to least powerful. Tokens carry exactly one.
public enum StaffRole: String, Sendable, CaseIterable, DomainEnum {
    /// Every institution; configures the consortium.
    case consortiumAdmin = "consortium_admin"
    /// One institution's configuration, tokens and PAC keys.
    case libraryAdmin = "library_admin"
    /// Circulation, and may override blocking alerts.
    case circulationSupervisor = "circulation_supervisor"
    /// Circulation; may only acknowledge non-blocking alerts.
    case circulationStaff = "circulation_staff"
    /// Read-only reports.
    case reportReader = "report_reader"

    public static let admins: [StaffRole] = [.consortiumAdmin, .libraryAdmin]
    public static let supervisors: [StaffRole] = [.consortiumAdmin, .libraryAdmin, .circulationSupervisor]
    public static let circulation: [StaffRole] = [.consortiumAdmin, .libraryAdmin, .circulationSupervisor, .circulationStaff]
    public static let readers: [StaffRole] = allCases
}
