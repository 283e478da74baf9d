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
                let (chunks, sink) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
                let page = BillReportStream(limit: limit, sink: sink)
                let queries = BillingQueries.report(report, afterBillId: after, limit: limit)
                // The page is read on the reactor's thread, where each wait for the server's next rows
                // resumes without a thread hand-off; its chunks reach this task as they are made, so the
                // client receives the first rows while PostgreSQL reads the last. The task ends by itself
                // (a page is at most 5,000 bills) and gives its connection back, whether or not anyone
                // still reads the chunks.
                Task(executorPreference: PostgresReactor.currentOrNext) {
                    do {
                        try await db.staffStream(request, context, queries, options: Self.pageOptions, rows: page.add, pause: page.pause)
                        page.finish()
                    } catch {
                        sink.finish(throwing: error)
                    }
                }
                let reader = ChunkReader(iterator: chunks.makeAsyncIterator())
                // Authentication and the page's first rows, or its error, which is answered as a problem.
                guard let first = try await reader.next() else { throw PostgresError(kind: .client, message: "a report page ended before its first chunk") }
                return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody { writer in
                    try await writer.write(first)
                    while let chunk = try await reader.next() { try await writer.write(chunk) }
                    try await writer.finish(nil)
                })
            }
        }
    }

    /// The page's chunks, read first by the handler (the first one, which decides the status) and then by
    /// the response body (the rest). `@unchecked Sendable`: both run in the request's task, one after the
    /// other, never at once.
    final class ChunkReader: @unchecked Sendable {
        private var iterator: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator

        init(iterator: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator) { self.iterator = iterator }

        func next() async throws -> ByteBuffer? { try await iterator.next() }
    }
}
