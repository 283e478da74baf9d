import Postgres

/// What a patron claims about an item on loan (WMS: claimed lost, claimed returned, claimed never had).
public enum LoanClaim: String, DomainEnum {
    case claimedLost = "claimed_lost"
    case claimedReturned = "claimed_returned"
    case claimedNeverHad = "claimed_never_had"
}
