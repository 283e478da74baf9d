import Foundation
import Hummingbird
import PatronServices
import Postgres

/// Print notices: a branch's batch for a day as one HTML page per notice (for patrons with no e-mail
/// address), and marking the batch printed.
struct PrintNoticesController {
    let db: Database

    struct Batch: Decodable {
        var branchId: Int64
        var date: CivilDate
    }

    func register(_ endpoints: Endpoints) {
        endpoints.on(.get, "print-notices", roles: StaffRole.circulation) { request, context in
            let batch = try Self.batch(request)
            let result = try await db.staffQuery(request, context, NoticeQueries.printBatch(branch: batch.branchId, date: batch.date))
            guard let text = result.first?.values.first ?? nil else { throw Problem.notFound("branch") }
            let notices = try PostgresJSON(text: text).decode([RenderableNotice].self)
            let html = PrintBatchPage(title: "Print notices \(batch.date)", notices: notices, renderer: NoticeRenderer()).html()
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        endpoints.on(.post, "print-notices/printed", roles: StaffRole.circulation) { request, context in
            let batch = try await request.decodeJSON(Batch.self, context: context)
            try Self.checkYear(batch.date, field: "date")
            return try await db.staffJSON(request, context, NoticeQueries.markPrinted(branch: batch.branchId, date: batch.date), notFound: "branch")
        }
    }

    static func batch(_ request: Request) throws -> Batch {
        guard let branch = try request.queryID("branchId") else {
            throw Problem(.badRequest, code: "invalid_query", detail: "branchId is required.",
                errors: [.init(field: "branchId", code: "required", message: "Give the branch.")])
        }
        guard let text = try request.query("date"), let date = CivilDate(parsing: text) else {
            throw Problem(.badRequest, code: "invalid_query", detail: "date is required, as YYYY-MM-DD.",
                errors: [.init(field: "date", code: "invalid", message: "Expected a date that exists, YYYY-MM-DD.")])
        }
        try checkYear(date, field: "date")
        return Batch(branchId: branch, date: date)
    }

    /// Dates are bounded to years 1900–2999, so no date reaches PostgreSQL out of its range.
    static func checkYear(_ date: CivilDate, field: String) throws {
        guard (1900...2999).contains(date.year) else {
            throw Problem.validation([.init(field: field, code: "out_of_range", message: "Years 1900 to 2999.")])
        }
    }
}
