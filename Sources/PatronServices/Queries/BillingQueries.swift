import Postgres

/// Bills, memberships and the bill reports.
public enum BillingQueries {
    public static func patronBills(_ patron: Int64) -> PostgresQuery { "select ps.patron_bills(\(patron))" }

    public static func postBill(patron: Int64, kind: BillKind, amountMinor: Int64) -> PostgresQuery {
        "select ps.post_bill(\(patron), \(kind), \(amountMinor))"
    }

    public static func settle(bill: Int64, amountMinor: Int64, as settlement: Settlement) -> PostgresQuery {
        "select ps.settle_bill(\(bill), \(amountMinor), \(settlement))"
    }

    public static func cancel(bill: Int64) -> PostgresQuery { "select ps.cancel_bill(\(bill))" }

    public static let membershipPolicies: PostgresQuery =
        "select coalesce(jsonb_agg(ps.membership_policy_api(mp) order by mp.institution_id, mp.name), '[]') from ps.membership_policy mp"

    public static func membershipPolicy(_ id: Int64) -> PostgresQuery {
        "select ps.membership_policy_api(mp) from ps.membership_policy mp where mp.membership_policy_id = \(id)"
    }

    /// Creates (`id` nil) or edits a membership policy; `ps.save_membership_policy` validates every field.
    public static func saveMembershipPolicy(_ id: Int64?, _ fields: PostgresJSON) -> PostgresQuery {
        "select ps.save_membership_policy(\(id), \(fields)::jsonb)"
    }

    public static func memberships(patron: Int64) -> PostgresQuery {
        """
        select jsonb_build_object('patronId', p.patron_id, 'status', s.status, 'requiredMembershipPolicyId', s.required_policy_id,
            'endsAt', s.ends_at,
            'memberships', coalesce((select jsonb_agg(ps.api(to_jsonb(m)) order by m.membership_id) from ps.patron_membership m
                                     where m.patron_id = p.patron_id), '[]'))
        from ps.patron p cross join lateral ps.membership_status(p.patron_id) s
        where p.patron_id = \(patron) and p.deleted_at is null
        """
    }

    public static func renewMembership(patron: Int64, policy: Int64?) -> PostgresQuery {
        "select ps.renew_membership(\(patron), \(policy))"
    }

    public static let queueMembershipReminders: PostgresQuery = "select ps.queue_membership_reminders(null)"

    /// The reports that page by bill id.
    public enum Report: String, Sendable {
        case outstandingBills = "ps.outstanding_bills_report"
        case orphanedBills = "ps.orphaned_bills"
    }

    /// One page of a bill report: its bills after `afterBillId`, at most `limit` (in no order: the service
    /// writes them in bill id order).
    ///
    /// The statements that make a report's page, in bill id order: their rows one after the other (only
    /// one of them has any). The outstanding bills report's page is its next `limit` outstanding bills:
    /// the caller's library's, or for a consortium administrator every library's, each in a statement of
    /// its own, cut at once for the other (one statement with both as branches of a `union all` had no
    /// order but a sort's, which holds every row back until the last is read). Their last id is found
    /// first, in order from the index; then the view is read over exactly that range of ids, once, in the
    /// index's order, so the rows can go to the client as PostgreSQL reads them. A page costs the same
    /// wherever it starts, and its plan does not depend on `afterBillId` (it is planned once per
    /// connection): bounded on both sides, the range is small whatever the id, where
    /// `bill_id > $1 order by bill_id limit n` alone made the generic plan sort every bill of the library.
    /// An orphaned bills page takes its candidates after `afterBillId` from `ps.orphan_candidate_bills`
    /// (the next `limit` deleted patrons' bills, each of them orphaned, and the library's pending
    /// memberships' bills, orphaned only when their policy no longer applies), looks each one up in the
    /// view in bill id order (`offset 0` keeps that a lookup by id, where a generic plan merged the
    /// candidates with every outstanding bill) and stops at `limit` orphans: a page reads in proportion to
    /// itself and to the library's pending memberships, not to the consortium's deleted patrons. The view
    /// a DBA reads, `ps.orphaned_bills`, takes every candidate from the same function.
    public static func report(_ report: Report, afterBillId: Int64, limit: Int64) -> [PostgresQuery] {
        switch report {
        case .outstandingBills:
            [
                """
                with last as materialized (select max(bill_id) as bill_id from (
                        select bill_id from ps.bill where ps.current_institution_id() is not null and institution_id = ps.current_institution_id()
                           and state = 'outstanding' and bill_id > \(afterBillId) order by bill_id limit \(limit)) ids),
                    page as not materialized (
                        select * from ps.outstanding_bills_report where ps.current_institution_id() is not null
                           and institution_id = ps.current_institution_id() and bill_id > \(afterBillId) and bill_id <= (select bill_id from last))
                \(unescaped: pageRows)
                """,
                """
                with last as materialized (select max(bill_id) as bill_id from (
                        select bill_id from ps.bill where ps.current_institution_id() is null and state = 'outstanding' and bill_id > \(afterBillId)
                         order by bill_id limit \(limit)) ids),
                    page as not materialized (
                        select * from ps.outstanding_bills_report where ps.current_institution_id() is null
                           and bill_id > \(afterBillId) and bill_id <= (select bill_id from last))
                \(unescaped: pageRows)
                """,
            ]
        case .orphanedBills:
            [
                """
                with page as not materialized (
                    select r.* from ps.orphan_candidate_bills(\(afterBillId), \(limit)) c (bill_id)
                    cross join lateral (select * from ps.outstanding_bills_report v where v.bill_id = c.bill_id offset 0) r
                    where r.orphan_reason is not null
                    order by c.bill_id limit \(limit))
                \(unescaped: pageColumns)
                """
            ]
        }
    }

    /// The page's rows, their columns the view's in camelCase, in bill id order: the service writes the
    /// answer from them (`BillReportStream`) as they arrive, with the page's balance, per currency, and
    /// the next page's start. Built by PostgreSQL (`json_agg` and the sums in one pass), the JSON took
    /// 0.9 ms of a page of 500 against 0.15 ms in the service. The page is named once, so PostgreSQL
    /// neither materializes it nor plans the view twice: setting up a second copy of the view's plan
    /// (each table with its row-level security) cost 0.6 ms of a 3 ms page.
    static let pageRows = pageColumns + "\norder by p.bill_id"

    /// ``pageRows`` without its `order by`, for a page whose rows are already in order: the orphaned bills
    /// page's come from its candidates in order (`order by c.bill_id limit n`), and PostgreSQL, which
    /// cannot see through the `offset 0` that the row looked up is the candidate's, would sort them again.
    static let pageColumns = """
        select p.bill_id as "billId", p.institution_id as "institutionId", p.patron_id as "patronId",
            p.patron_institution_id as "patronInstitutionId", p.patron_name as "patronName", p.patron_barcode as "patronBarcode",
            p.kind, p.reason, p.amount_minor as "amountMinor", p.balance_minor as "balanceMinor", p.currency,
            p.posted_at as "postedAt", p.created_at as "createdAt", p.membership_id as "membershipId", p.orphan_reason as "orphanReason"
        from page p
        """
}
