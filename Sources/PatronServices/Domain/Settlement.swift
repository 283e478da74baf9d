import Postgres

/// How an amount comes off a bill: paid by the patron, or waived by staff (waivers count toward the
/// patron type policy's maximum amount waived).
public enum Settlement: String, DomainEnum {
    case payment, waiver
}
