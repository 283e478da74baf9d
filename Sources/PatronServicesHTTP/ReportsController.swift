import Hummingbird
import Postgres

/// The Outstanding Fees and Bills report and its orphaned bills, paged by bill id.
struct ReportsController {
    let db: Database

    func register(_ endpoints: Endpoints) {
        for (path, view) in [("reports/outstanding-bills", "ps.outstanding_bills_report"), ("reports/orphaned-bills", "ps.orphaned_bills")] {
            endpoints.on(.get, path, roles: StaffRole.readers) { request, context in
                let after = try request.queryID("afterBillId") ?? 0
                let limit = min(try request.queryID("limit") ?? 500, 5000)
                return try await db.staffJSON(request, context, """
                    select jsonb_build_object('bills', coalesce(jsonb_agg(ps.api(to_jsonb(r)) order by r.bill_id), '[]'),
                        'pageBalanceMinor', coalesce(sum(r.balance_minor), 0), 'nextAfterBillId', case when count(*) = \(limit) then max(r.bill_id) end)
                    from (select * from \(unescaped: view) where bill_id > \(after) order by bill_id limit \(limit)) r
                    """)
            }
        }
    }
}
