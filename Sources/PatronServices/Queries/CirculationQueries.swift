import Foundation
import Postgres

/// Checkout, renewal, check-in, claims and suspensions. Eligibility is in ``StaffQueries`` (shared with
/// the benchmark).
public enum CirculationQueries {
    /// Checks an item out; with no due date, the checkout branch's loan period applies (in SQL).
    public static func checkout(patron: Int64, itemBarcode: String, branch: Int64, dueAt: Date?, overrideComment: String?,
                                acknowledge: [String]) -> PostgresQuery {
        """
        select ps.checkout(\(patron), \(itemBarcode), \(branch), \(dueAt), \(overrideComment), \(acknowledge)::text[])
        """
    }

    public static func renew(loan: Int64, dueAt: Date?, overrideComment: String?, acknowledge: [String]) -> PostgresQuery {
        "select ps.renew(\(loan), \(dueAt), \(overrideComment), \(acknowledge)::text[])"
    }

    public static func checkIn(loan: Int64) -> PostgresQuery { "select ps.check_in(\(loan))" }

    /// Records a claim on a loan, or clears it (nil).
    public static func setClaim(loan: Int64, claim: LoanClaim?) -> PostgresQuery { "select ps.set_claim(\(loan), \(claim))" }

    public static func suspensions(patron: Int64) -> PostgresQuery { "select ps.patron_suspensions(\(patron))" }

    public static func suspend(patron: Int64, minutes: Int32, reason: String?) -> PostgresQuery {
        "select ps.suspend_patron(\(patron), \(minutes), \(reason))"
    }

    public static func liftSuspension(_ id: Int64) -> PostgresQuery { "select ps.lift_suspension(\(id))" }
}
