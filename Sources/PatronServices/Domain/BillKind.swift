import Postgres

/// What a bill is for.
public enum BillKind: String, DomainEnum {
    case overdueFine = "overdue_fine"
    case lostItem = "lost_item"
    case membershipFee = "membership_fee"
    case other
}
