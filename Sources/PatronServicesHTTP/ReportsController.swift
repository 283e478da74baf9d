import Hummingbird
import PatronServices
import Postgres

/// The Outstanding Fees and Bills report and its orphaned bills, paged by bill id.
struct ReportsController {
    let db: Database

    /// A page's plan does not depend on where it starts (`afterBillId` only bounds an index scan), so it
    /// is planned once per connection: planning a page afresh took about 4 ms, a third of a page of 500,
    /// and PostgreSQL plans a prepared statement afresh for its first five executions on a connection.
    static let pageOptions = TransactionOptions(settings: [("plan_cache_mode", "force_generic_plan")])

    func register(_ endpoints: Endpoints) {
        for (path, report) in [("reports/outstanding-bills", BillingQueries.Report.outstandingBills), ("reports/orphaned-bills", .orphanedBills)] {
            endpoints.on(.get, path, roles: StaffRole.readers) { request, context in
                let after = try request.queryID("afterBillId") ?? 0
                let limit = min(try request.queryID("limit") ?? 500, 5000)
                let page = try await db.staffQuery(
                    request, context, BillingQueries.report(report, afterBillId: after, limit: limit), options: Self.pageOptions
                ) { rows in try BillReportPage.answer(rows, limit: limit) }
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: page))
            }
        }
    }
}
