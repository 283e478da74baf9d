import Foundation
import PatronServices
import Postgres

extension ReportBenchCommand {
    /// One page size of `bench report`: its pages' starts, the curl file that fetches them all over one
    /// kept-alive connection, and what each round measured.
    final class PageSize {
        let limit: Int
        /// Each page's `afterBillId`, as the API's nextAfterBillId gives them: every limit-th bill id. The
        /// last full page's still names a page (an empty one), as a client would follow it.
        let afters: [Int64?]
        let configPath: String
        var apiTimes: [Duration] = [], pageTimes: [[Double]] = []
        var failed = 0
        /// CPU seconds over all rounds: the service's PostgreSQL server processes, and the service.
        var serverCPU = 0.0, serviceCPU = 0.0

        init(limit: Int, ids: [Int64], token: String, port: Int) throws {
            self.limit = limit
            afters = [nil] + stride(from: limit - 1, to: ids.count, by: limit).map { ids[$0] }
            // curl writes each page's status and time.
            let config = "header = \"Authorization: Bearer \(token)\"\nwrite-out = \"%{http_code} %{time_total}\\n\"\n"
                + afters.map { after in
                    "url = \"http://127.0.0.1:\(port)/staff/v1/reports/outstanding-bills?limit=\(limit)\(after.map { "&afterBillId=\($0)" } ?? "")\"\n"
                        + "output = \"/dev/null\"\n"
                }.joined()
            configPath = FileManager.default.temporaryDirectory.appendingPathComponent("report-bench-\(getpid())-\(limit).curl").path
            try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        }

        func remove() { try? FileManager.default.removeItem(atPath: configPath) }

        /// Fetches every page once, timing the whole and each page, with the CPU time of the service and of
        /// its server processes (`servers`).
        func fetchAll(servers: [Int32]) async throws {
            let serversBefore = servers.compactMap(ProcessCPU.seconds(of:)).reduce(0, +), serviceBefore = ProcessCPU.ownSeconds()
            let began = ContinuousClock.now
            let configPath = configPath
            let lines = try await LoadRunner.offThePool { try EmbeddedPostgres.runProcess("/usr/bin/curl", ["-s", "-K", configPath]) }
                .split(separator: "\n")
            apiTimes.append(ContinuousClock.now - began)
            serverCPU += servers.compactMap(ProcessCPU.seconds(of:)).reduce(0, +) - serversBefore
            serviceCPU += ProcessCPU.ownSeconds() - serviceBefore
            let pages = lines.map { $0.split(separator: " ") }
            failed += pages.filter { $0.first != "200" }.count
            pageTimes.append(pages.compactMap { $0.count == 2 ? Double($0[1]) : nil })
        }
    }
}
