/// Staff roles, from most to least powerful. Tokens carry exactly one.
public enum StaffRole: String, Codable, Sendable, CaseIterable {
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

    static let admins: [StaffRole] = [.consortiumAdmin, .libraryAdmin]
    static let supervisors: [StaffRole] = [.consortiumAdmin, .libraryAdmin, .circulationSupervisor]
    static let circulation: [StaffRole] = [.consortiumAdmin, .libraryAdmin, .circulationSupervisor, .circulationStaff]
    static let readers: [StaffRole] = allCases
}
