import Postgres

/// A staff decision on one field of a patron's change request.
public enum ChangeDecision: String, DomainEnum {
    case approved, rejected
}
