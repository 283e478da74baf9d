import ArgumentParser
import Configuration
import Foundation
import Hummingbird
import Logging
import PatronServices
import PatronServicesHTTP
import Postgres

/// The eligibility endpoint, driven by wrk over HTTP, against pgbench running the very statements the
/// endpoint sends (begin, authenticate, eligibility, commit) on the same generated consortium, in the
/// same run, at the same client counts; then one patron with 5 open loans against one with 500.
struct EligibilityBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eligibility", abstract: "Benchmark GET /staff/v1/patrons/{id}/eligibility against pgbench on a generated consortium.")

    @Option(help: "Client counts (HTTP connections and pgbench clients; the pool gets as many connections).") var clients: [Int] = [1, 32]
    @Option(help: "Seconds per measurement.") var seconds: Int = 10
    @Option(help: "Patrons in the generated consortium.") var patrons: Int = 100_000
    @Option(help: "Loans in the generated consortium (open and returned).") var loans: Int = 1_000_000
    @Option(help: "Loopback port for the service under load.") var port: Int = 18089
    @Option(help: "Embedded cluster folder.") var directory: String = ".data/bench-postgres"
    @Option(help: "Interleaved pgbench/HTTP rounds per client count (medians are reported).") var rounds: Int = 1

    func run() async throws {
        guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw ValidationError("wrk drives the HTTP load: apt-get install -y wrk")
        }
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let cluster = EmbeddedPostgres(baseDirectory: directory, port: 55433, logger: logger)
        let started = try cluster.start()
        defer { if started { try? cluster.stop() } }
        let database = "bench_consortium_\(patrons)_\(loans)"
        try await DatabaseBootstrap(superuser: cluster.configuration(), logger: logger)
            .prepare(database: database, sqlDirectory: try SQLDirectory.locate(explicit: nil))

        let consortium = BenchConsortium(patrons: patrons, loans: loans)
        let owner = try await PostgresConnection.connect(cluster.configuration(user: DatabaseRoles.owner, database: database), logger: logger)
        if try await owner.query("select count(*) from ps.library").scalar(Int.self) == 0 {
            say("generating \(patrons) patrons and \(loans) loans (once; kept in database \(database))…")
            let began = ContinuousClock.now
            try await consortium.build(owner)
            say("generated in \(ContinuousClock.now - began)")
        }
        let handles = try await consortium.handles(owner)
        let counts = try await consortium.counts(owner)
        try await owner.execute("begin; select set_config('ps.role', 'consortium_admin', true)")
        let token = try await owner.query(
            "select token from ps.create_staff_token('circulation_staff', \(handles.institution), 'bench', now() + interval '1 day', 'bench')"
        ).scalar(String.self)
        try await owner.execute("commit")
        await owner.close()
        say("consortium: \(counts.patrons) patrons, \(counts.loans) loans (\(counts.open) open), \(counts.bills) bills")

        let load = LoadRunner(wrk: wrk, cluster: cluster, database: database, token: token, port: port, seconds: seconds, branch: handles.branch)
        say("")
        say("random patron of one library (\(handles.patronRange.count) patrons), checkout at one of its branches")
        say("\(rounds) interleaved round(s) of \(seconds) s per line; medians")
        say("clients  pgbench tx/s  p50 µs  p99 µs   HTTP req/s  p50 µs  p99 µs   ratio")
        for count in clients {
            var sql: [LoadFigures] = [], http: [LoadFigures] = []
            for _ in 0..<rounds {
                sql.append(try load.pgbench(clients: count, patron: "random(\(handles.patronRange.lowerBound), \(handles.patronRange.upperBound))"))
                http.append(try await load.http(clients: count, patrons: handles.patronRange))
            }
            let (s, h) = (LoadFigures.median(sql), LoadFigures.median(http))
            say(String(format: "%7d  %12.0f  %6.0f  %6.0f   %10.0f  %6.0f  %6.0f   %5.2f", count, s.perSecond, s.p50Microseconds,
                s.p99Microseconds, h.perSecond, h.p50Microseconds, h.p99Microseconds, h.perSecond / s.perSecond))
        }
        say("")
        say("one patron, 1 client       pgbench tx/s  p50 µs  p99 µs   HTTP req/s  p50 µs  p99 µs")
        for (label, patron) in [("5 open loans  ", handles.fiveLoans), ("500 open loans", handles.fiveHundredLoans)] {
            let sql = try load.pgbench(clients: 1, patron: String(patron))
            let http = try await load.http(clients: 1, patrons: patron...patron)
            say(String(format: "%@             %12.0f  %6.0f  %6.0f   %10.0f  %6.0f  %6.0f", label, sql.perSecond, sql.p50Microseconds,
                sql.p99Microseconds, http.perSecond, http.p50Microseconds, http.p99Microseconds))
        }
    }
}
