import Postgres

/// The contact fields a patron may change from a PAC (Polaris Contact Info tab).
public enum ChangeField: String, DomainEnum {
    case address, email, phone
    case notificationMethod = "notification_method"
}
