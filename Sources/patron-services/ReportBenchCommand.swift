import ArgumentParser
import Foundation
import PatronServices
import Postgres

/// `bench report`: every page of the Outstanding Fees and Bills report through the API (keyset pages,
/// one kept-alive connection, curl) against the same rows read by psql in one statement, on a generated
/// consortium; and what a page costs at the start of the report against its end.
struct ReportBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Benchmark GET /staff/v1/reports/outstanding-bills, all pages, against psql reading the same rows.")

    @Option(help: "Patrons in the generated consortium.") var patrons: Int = 100_000
    @Option(help: "Loans in the generated consortium (open and returned).") var loans: Int = 1_000_000
    @Option(help: "Rows per page (the API's limit parameter, at most 5000).") var limit: Int = 500
    @Option(help: "Runs of each side (medians are reported).") var rounds: Int = 3
    @Option(help: "Loopback port for the service.") var port: Int = 18090
    @Option(help: "Embedded cluster folder.") var directory: String = ".data/bench-postgres"

    func run() async throws {
        let bench = try await BenchDatabase.prepare(patrons: patrons, loans: loans, directory: directory, role: "report_reader")
        defer { bench.stop() }
        let cluster = bench.cluster
        let prelude = (TransactionOptions().prelude + [StaffQueries.authenticate(token: bench.token, roles: AllowedStaffRoles(StaffRole.readers))])
            .map { LoadRunner.inline($0, replacing: [:]) + ";" }.joined(separator: "\n")
        func psql(_ script: String) throws -> String {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("report-bench-\(getpid()).sql").path
            try script.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            return try EmbeddedPostgres.runProcess(EmbeddedPostgres.binary("psql"), [
                "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", cluster.socketDirectory, "-p", String(cluster.port), "-U", "patron_app",
                "-f", path, bench.database])
        }
        // The page boundaries, as the API's nextAfterBillId will give them: every limit-th bill id.
        let ids = try psql("\(prelude)\nselect bill_id from ps.outstanding_bills_report order by bill_id;\ncommit;")
            .split(separator: "\n").compactMap { Int64($0) }
        // The last full page's nextAfterBillId still names a page (an empty one), as a client would follow it.
        let afters: [Int64?] = [nil] + stride(from: limit - 1, to: ids.count, by: limit).map { ids[$0] }
        say("report reader of one library: \(ids.count) outstanding bills, \(afters.count) pages of \(limit)")

        let load = LoadRunner(wrk: "", bench: bench, port: port, seconds: 0)

        // curl fetches every page over one kept-alive connection and writes each one's status and time.
        let config = "header = \"Authorization: Bearer \(bench.token)\"\nwrite-out = \"%{http_code} %{time_total}\\n\"\n"
            + afters.map { after in
                "url = \"http://127.0.0.1:\(port)/staff/v1/reports/outstanding-bills?limit=\(limit)\(after.map { "&afterBillId=\($0)" } ?? "")\"\n"
                    + "output = \"/dev/null\"\n"
            }.joined()
        let configPath = FileManager.default.temporaryDirectory.appendingPathComponent("report-bench-\(getpid()).curl").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: configPath) }

        var apiTimes: [Duration] = [], psqlTimes: [Duration] = [], pageTimes: [[Double]] = []
        var failed = 0
        // CPU seconds over all rounds: psql's server process, the service's server processes, the service.
        var psqlServerCPU = 0.0, apiServerCPU = 0.0, serviceCPU = 0.0
        try await load.withService {
            // One page first, so that the pool's connection exists before its server process is timed.
            _ = try await LoadRunner.offThePool {
                try EmbeddedPostgres.runProcess("/usr/bin/curl", ["-s", "-o", "/dev/null", "-H", "Authorization: Bearer \(bench.token)",
                    "http://127.0.0.1:\(port)/staff/v1/reports/outstanding-bills?limit=\(limit)"])
            }
            let servers = try psql("""
                select pid from pg_stat_activity where datname = current_database() and usename = 'patron_app' and pid <> pg_backend_pid();
                """).split(separator: "\n").compactMap { Int32($0) }
            for _ in 0..<rounds {
                var began = ContinuousClock.now
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
                let serversBefore = servers.compactMap(ProcessCPU.seconds(of:)).reduce(0, +), serviceBefore = ProcessCPU.ownSeconds()
                began = ContinuousClock.now
                let lines = try await LoadRunner.offThePool { try EmbeddedPostgres.runProcess("/usr/bin/curl", ["-s", "-K", configPath]) }
                    .split(separator: "\n")
                apiTimes.append(ContinuousClock.now - began)
                apiServerCPU += servers.compactMap(ProcessCPU.seconds(of:)).reduce(0, +) - serversBefore
                serviceCPU += ProcessCPU.ownSeconds() - serviceBefore
                let pages = lines.map { $0.split(separator: " ") }
                failed += pages.filter { $0.first != "200" }.count
                pageTimes.append(pages.compactMap { $0.count == 2 ? Double($0[1]) : nil })
            }
        }
        func median(_ values: [Duration]) -> Double {
            let sorted = values.sorted()
            let d = sorted[sorted.count / 2].components
            return Double(d.seconds) + Double(d.attoseconds) / 1e18
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let (api, sql) = (median(apiTimes), median(psqlTimes))
        say("\(rounds) run(s) of each; medians")
        say("path                         rows   pages  psql s   API s  failed  API ÷ psql")
        say(String(format: "reports/outstanding-bills  %6d  %6d  %6.3f  %6.3f  %6d  %9.2f", ids.count, afters.count, sql, api, failed, api / sql))
        // Full pages only (the last, empty one costs nothing); the first page of a run also opens the pool's connection.
        let full = pageTimes.flatMap { $0.dropLast(afters.count * limit > ids.count ? 1 : 0).dropFirst() }
        let firstFull = pageTimes.compactMap { $0.dropFirst().first }, lastFull = pageTimes.compactMap { $0.dropLast(1).last }
        say(String(format: "a full page: median %.2f ms; second page %.2f ms, last full page %.2f ms (last ÷ second %.2f)",
            median(full) * 1000, median(firstFull) * 1000, median(lastFull) * 1000, median(lastFull) / median(firstFull)))
        // CPU time varies less than wall time on a shared machine: PostgreSQL's per page against its per
        // `limit` rows of psql's read, and the service's (this process, which serves the API) per page.
        let perPage = 1000 / Double(rounds * afters.count), perLimitRows = 1000 * Double(limit) / Double(rounds * ids.count)
        let (server, psqlServer) = (apiServerCPU * perPage, psqlServerCPU * perLimitRows)
        say(String(format: "CPU per page: PostgreSQL %.2f ms (psql's read: %.2f ms per %d rows, ÷ %.2f), the service %.2f ms",
            server, psqlServer, limit, server / psqlServer, serviceCPU * perPage))
    }
}
