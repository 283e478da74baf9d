import Postgres

/// Where a setting is set: the whole consortium, one library, or one branch (inherited downwards).
public enum SettingLevel: String, DomainEnum {
    case system, library, branch
}

extension SettingLevel {
    /// The library and branch a change at this level applies to: a system-level change names neither, a
    /// library-level one no branch. Ids the level does not use are ignored, as the API contract says.
    public func scope(institution: Int64?, branch: Int64?) -> (institution: Int64?, branch: Int64?) {
        switch self {
        case .system: (nil, nil)
        case .library: (institution, nil)
        case .branch: (institution, branch)
        }
    }
}
