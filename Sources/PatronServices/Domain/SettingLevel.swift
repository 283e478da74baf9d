import Postgres

/// Where a setting is set: the whole consortium, one library, or one branch (inherited downwards).
public enum SettingLevel: String, DomainEnum {
    case system, library, branch
}
