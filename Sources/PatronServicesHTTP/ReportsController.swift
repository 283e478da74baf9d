import Hummingbird
import PatronServices
import Postgres

/// The Outstanding Fees and Bills report and its orphaned bills, paged by bill id.
struct ReportsController {
    let db: Database

    func register(_ endpoints: Endpoints) {
        for (path, report) in [("reports/outstanding-bills", BillingQueries.Report.outstandingBills), ("reports/orphaned-bills", .orphanedBills)] {
            endpoints.on(.get, path, roles: StaffRole.readers) { request, context in
                let after = try request.queryID("afterBillId") ?? 0
                let limit = min(try request.queryID("limit") ?? 500, 5000)
                return try await db.staffJSON(request, context, BillingQueries.report(report, afterBillId: after, limit: limit))
            }
        }
    }
}
