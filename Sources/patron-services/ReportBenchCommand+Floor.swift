import Foundation

extension ReportBenchCommand {
    /// What every page pays whatever its rows, measured beside the pages: as many empty pages (after the
    /// last bill: the request, the transaction with its authentication, starting the page's plan, the
    /// answer) as the smallest page size has pages, and as many `GET /health` (the HTTP round trip alone,
    /// no database). Times these by the pages and set them against psql's read: what the goal (1.2×) leaves
    /// for everything the API adds is a fifth of that read.
    final class Floor {
        let pages: Int
        let empty: CurlBatch, health: CurlBatch
        var emptyTimes: [Double] = [], healthTimes: [Double] = []
        var failed = 0

        init(pages: Int, lastBillId: Int64, token: String, port: Int) throws {
            self.pages = pages
            empty = try CurlBatch(urls: Array(repeating: "http://127.0.0.1:\(port)/staff/v1/reports/outstanding-bills?limit=500&afterBillId=\(lastBillId)",
                count: pages), token: token, name: "empty")
            health = try CurlBatch(urls: Array(repeating: "http://127.0.0.1:\(port)/health", count: pages), token: nil, name: "health")
        }

        func remove() { [empty, health].forEach { $0.remove() } }

        /// One round: every empty page, then every health check.
        func measure() async throws {
            for (batch, isEmpty) in [(empty, true), (health, false)] {
                let answers = try await batch.run().answers
                failed += answers.filter { $0.status != "200" }.count
                // The first request also opens the connection.
                let times = answers.dropFirst().map(\.seconds).filter { !$0.isNaN }
                if isEmpty { emptyTimes += times } else { healthTimes += times }
            }
        }

        /// The lines: the fixed cost a page, and what it comes to over `pages` pages against psql's read.
        func report(psqlSeconds: Double) {
            let (page, http) = (emptyTimes.median, healthTimes.median)
            say(String(format: "a page's fixed cost: an empty page %.3f ms (GET /health, no database: %.3f ms), %d failed", page * 1000, http * 1000, failed))
            say(String(format: "over %d pages: %.3f s, %.0f%% of psql's read (the goal, 1.2×, leaves 20%% for all the API adds, rows included)",
                pages, page * Double(pages), 100 * page * Double(pages) / psqlSeconds))
        }
    }
}
