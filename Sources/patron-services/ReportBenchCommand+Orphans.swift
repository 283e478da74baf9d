import Foundation

extension ReportBenchCommand {
    /// The Orphaned Bills report on the same consortium with a share of its patrons deleted (the
    /// generator deletes none): every page through the API at 500 bills a page against psql reading the
    /// same rows of `ps.orphaned_bills`, in the same rounds. The deletions go through the patrons'
    /// triggers, as `DELETE /staff/v1/patrons/{id}` would, and are undone afterwards, also at the start of
    /// a run that follows one cut short.
    struct Orphans {
        let percent: Int
        let rounds: Int
        let token: String
        let port: Int
        /// psql as the service role with the report reader's transaction opened (`prelude`), or as the owner.
        let psql: (_ script: String, _ owner: Bool) throws -> String
        let prelude: String

        static let restore = "begin; select set_config('ps.role', 'consortium_admin', true);\n"
            + "update ps.patron set deleted_at = null where deleted_at is not null;\ncommit;"

        /// Measures, and returns the lines to print.
        func measure() async throws -> [String] {
            let began = ContinuousClock.now
            _ = try psql("""
                begin; select set_config('ps.role', 'consortium_admin', true);
                update ps.patron set deleted_at = now() where deleted_at is null and patron_id % 100 < \(percent);
                commit;
                """, true)
            let deleting = ContinuousClock.now - began
            defer { _ = try? psql(Self.restore, true) }
            let ids = try psql("\(prelude)\nselect bill_id from ps.orphaned_bills order by bill_id;\ncommit;", false)
                .split(separator: "\n").compactMap { Int64($0) }
            let limit = 500
            let afters: [Int64?] = [nil] + stride(from: limit - 1, to: ids.count, by: limit).map { ids[$0] }
            let batch = try CurlBatch(urls: afters.map { after in
                "http://127.0.0.1:\(port)/staff/v1/reports/orphaned-bills?limit=\(limit)\(after.map { "&afterBillId=\($0)" } ?? "")"
            }, token: token, name: "orphans")
            defer { batch.remove() }
            var psqlTimes: [Duration] = [], apiTimes: [Duration] = [], pageTimes: [Double] = []
            var failed = 0
            for _ in 0..<rounds {
                let start = ContinuousClock.now
                _ = try psql("\(prelude)\n\\copy (select * from ps.orphaned_bills order by bill_id) to '/dev/null'\ncommit;", false)
                psqlTimes.append(ContinuousClock.now - start)
                let (total, answers) = try await batch.run()
                apiTimes.append(total)
                failed += answers.filter { $0.status != "200" }.count
                pageTimes += answers.prefix(ids.count / limit).map(\.seconds)
            }
            let (sql, api) = (psqlTimes.medianSeconds, apiTimes.medianSeconds)
            var lines = [
                "",
                String(format: "orphaned bills: %d%% of the patrons deleted (%.1f s through their triggers), undone afterwards", percent,
                    deleting.seconds),
                "path                         rows   limit   pages  psql s   API s  failed  API ÷ psql",
                String(format: "reports/orphaned-bills     %6d  %6d  %6d  %6.3f  %6.3f  %6d  %9.2f", ids.count, limit, afters.count, sql, api,
                    failed, api / sql),
            ]
            if !pageTimes.isEmpty { lines.append(String(format: "a full page of orphaned bills: median %.2f ms", pageTimes.median * 1000)) }
            return lines
        }
    }
}
