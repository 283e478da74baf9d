import Foundation
import PatronServices
import Postgres

extension ReportBenchCommand {
    /// One page size of `bench report`: its pages' starts, the curl batch that fetches them all over one
    /// kept-alive connection, and what each round measured.
    final class PageSize {
        let limit: Int
        /// Each page's `afterBillId`, as the API's nextAfterBillId gives them: every limit-th bill id. The
        /// last full page's still names a page (an empty one), as a client would follow it.
        let afters: [Int64?]
        let batch: CurlBatch
        var apiTimes: [Duration] = [], pageTimes: [[Double]] = []
        var failed = 0
        /// CPU seconds over all rounds: the service's PostgreSQL server processes, and the service.
        var serverCPU = 0.0, serviceCPU = 0.0

        init(limit: Int, ids: [Int64], token: String, port: Int) throws {
            self.limit = limit
            afters = [nil] + stride(from: limit - 1, to: ids.count, by: limit).map { ids[$0] }
            batch = try CurlBatch(urls: afters.map { after in
                "http://127.0.0.1:\(port)/staff/v1/reports/outstanding-bills?limit=\(limit)\(after.map { "&afterBillId=\($0)" } ?? "")"
            }, token: token, name: String(limit))
        }

        func remove() { batch.remove() }

        /// Fetches every page once, timing the whole and each page, with the CPU time of the service and of
        /// its server processes (`servers`).
        func fetchAll(servers: [Int32]) async throws {
            let serversBefore = servers.compactMap(ProcessCPU.seconds(of:)).reduce(0, +), serviceBefore = ProcessCPU.ownSeconds()
            let (total, answers) = try await batch.run()
            apiTimes.append(total)
            serverCPU += servers.compactMap(ProcessCPU.seconds(of:)).reduce(0, +) - serversBefore
            serviceCPU += ProcessCPU.ownSeconds() - serviceBefore
            failed += answers.filter { $0.status != "200" }.count
            pageTimes.append(answers.map(\.seconds).filter { !$0.isNaN })
        }
    }
}
