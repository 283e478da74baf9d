import ArgumentParser
import Foundation
import PatronServices
import Postgres

/// `bench report`: every page of the Outstanding Fees and Bills report through the API (keyset pages,
/// one kept-alive connection, curl) against the same rows read by psql in one statement, on a generated
/// consortium; and what a page costs at the start of the report against its end. Each page size named
/// is measured in every round, beside the same psql read, so their ratios come from one sitting; and
/// beside them what a page costs whatever its rows (`Floor`).
struct ReportBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Benchmark GET /staff/v1/reports/outstanding-bills, all pages, against psql reading the same rows.")

    @Option(help: "Patrons in the generated consortium.") var patrons: Int = 100_000
    @Option(help: "Loans in the generated consortium (open and returned).") var loans: Int = 1_000_000
    @Option(help: "Rows per page (the API's limit parameter, at most 5000); repeat for more page sizes (default 500 and 5000).")
    var limit: [Int] = [500, 5000]
    @Option(help: "Runs of each side (medians are reported).") var rounds: Int = 3
    @Option(help: "Loopback port for the service.") var port: Int = 18090
    @Option(help: "Embedded cluster folder.") var directory: String = ".data/bench-postgres"
    @Option(help: "Percent of the patrons deleted for the Orphaned Bills report's measurement, undone afterwards (0: not measured).")
    var deletedPercent: Int = 1

    func run() async throws {
        let bench = try await BenchDatabase.prepare(patrons: patrons, loans: loans, directory: directory, role: "report_reader")
        defer { bench.stop() }
        let cluster = bench.cluster
        let prelude = (TransactionOptions().prelude + [StaffQueries.authenticate(token: bench.token, roles: AllowedStaffRoles(StaffRole.readers))])
            .map { LoadRunner.inline($0, replacing: [:]) + ";" }.joined(separator: "\n")
        func psql(_ script: String, owner: Bool = false) throws -> String {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("report-bench-\(getpid()).sql").path
            try script.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            return try EmbeddedPostgres.runProcess(EmbeddedPostgres.binary("psql"), [
                "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", cluster.socketDirectory, "-p", String(cluster.port),
                "-U", owner ? DatabaseRoles.owner : "patron_app", "-f", path, bench.database])
        }
        guard (0...100).contains(deletedPercent) else { throw ValidationError("--deleted-percent is 0 to 100") }
        // A run cut short leaves its deletions: the generator deletes no patron.
        _ = try psql(Orphans.restore, owner: true)
        // The page boundaries, as the API's nextAfterBillId will give them: every limit-th bill id.
        let ids = try psql("\(prelude)\nselect bill_id from ps.outstanding_bills_report order by bill_id;\ncommit;")
            .split(separator: "\n").compactMap { Int64($0) }
        say("report reader of one library: \(ids.count) outstanding bills")
        let sizes = try limit.map { try PageSize(limit: $0, ids: ids, token: bench.token, port: port) }
        defer { sizes.forEach { $0.remove() } }
        guard let lastBillId = ids.last, let smallest = sizes.min(by: { $0.limit < $1.limit }) else {
            throw ValidationError("the report reader's library has no outstanding bills")
        }
        let floor = try Floor(pages: smallest.afters.count, lastBillId: lastBillId, token: bench.token, port: port)
        defer { floor.remove() }

        let load = LoadRunner(wrk: "", bench: bench, port: port, seconds: 0)
        var psqlTimes: [Duration] = []
        // CPU seconds over all rounds of psql's server process.
        var psqlServerCPU = 0.0
        var orphanLines: [String] = []
        try await load.withService {
            // One page first, so that the pool's connection exists before its server process is timed.
            _ = try await LoadRunner.offThePool {
                try EmbeddedPostgres.runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-H", "Authorization: Bearer \(bench.token)",
                    "http://127.0.0.1:\(port)/staff/v1/reports/outstanding-bills?limit=\(limit[0])"])
            }
            let servers = try psql("""
                select pid from pg_stat_activity where datname = current_database() and usename = 'patron_app' and pid <> pg_backend_pid();
                """).split(separator: "\n").compactMap { Int32($0) }
            for _ in 0..<rounds {
                let began = ContinuousClock.now
                // psql reports its own server process's CPU time at the end: its pid through \gset and
                // \setenv, since \! does not interpolate psql's variables.
                let output = try psql("""
                    \(prelude)
                    select pg_backend_pid() as server \\gset
                    \\setenv SERVER :server
                    \\copy (select * from ps.outstanding_bills_report where institution_id = \(bench.handles.institution) order by bill_id) to '/dev/null'
                    commit;
                    \\! awk '{ print $14 + $15 }' /proc/$SERVER/stat
                    """)
                psqlTimes.append(ContinuousClock.now - began)
                psqlServerCPU += (output.split(separator: "\n").last.flatMap { Double($0) } ?? .nan) / ProcessCPU.ticksPerSecond
                for size in sizes { try await size.fetchAll(servers: servers) }
                try await floor.measure()
            }
            if deletedPercent > 0 {
                orphanLines = try await Orphans(percent: deletedPercent, rounds: rounds, token: bench.token, port: port,
                    psql: { try psql($0, owner: $1) }, prelude: prelude).measure()
            }
        }
        let sql = psqlTimes.medianSeconds
        say("\(rounds) run(s) of each; medians")
        say("path                         rows   limit   pages  psql s   API s  failed  API ÷ psql")
        for size in sizes {
            let api = size.apiTimes.medianSeconds
            say(String(format: "reports/outstanding-bills  %6d  %6d  %6d  %6.3f  %6.3f  %6d  %9.2f",
                ids.count, size.limit, size.afters.count, sql, api, size.failed, api / sql))
        }
        floor.report(psqlSeconds: sql)
        for size in sizes {
            let pages = size.afters.count, limit = size.limit
            // Full pages only (not a partial or empty last page), and not the first, which also opens the pool's connection.
            let fullPages = size.pageTimes.map { Array($0.prefix(ids.count / limit)) }
            if let first = fullPages.first, first.count >= 3 {
                let full = fullPages.flatMap { $0.dropFirst() }
                let second = fullPages.map { $0[1] }, last = fullPages.compactMap(\.last)
                say(String(format: "limit %d, a full page: median %.2f ms; second page %.2f ms, last full page %.2f ms (last ÷ second %.2f)",
                    limit, full.median * 1000, second.median * 1000, last.median * 1000,
                    last.median / second.median))
            } else {
                say("limit \(limit): fewer than three full pages, so no page's start is compared with its end")
            }
            // CPU time varies less than wall time on a shared machine: PostgreSQL's per page against its per
            // `limit` rows of psql's read, and the service's (this process, which serves the API) per page.
            let perPage = 1000 / Double(rounds * pages), perLimitRows = 1000 * Double(limit) / Double(rounds * ids.count)
            let (server, psqlServer) = (size.serverCPU * perPage, psqlServerCPU * perLimitRows)
            say(String(format: "limit %d, CPU per page: PostgreSQL %.2f ms (psql's read: %.2f ms per %d rows, ÷ %.2f), the service %.2f ms",
                limit, server, psqlServer, limit, server / psqlServer, size.serviceCPU * perPage))
        }
        orphanLines.forEach { say($0) }
    }
}
