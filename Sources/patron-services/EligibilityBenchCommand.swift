import ArgumentParser
import Configuration
import Foundation
import Hummingbird
import PatronServices
import PatronServicesHTTP
import Postgres

/// The eligibility endpoint, driven by wrk over HTTP, against pgbench running the very statements the
/// endpoint sends (begin, authenticate, eligibility, commit) on the same generated consortium, in the
/// same run, at the same client counts; then one patron with 5 open loans against one with 500.
struct EligibilityBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eligibility", abstract: "Benchmark GET /staff/v1/patrons/{id}/eligibility against pgbench on a generated consortium.")

    @Option(help: "Client counts (HTTP connections and pgbench clients; the service's pool keeps its configured size).") var clients: [Int] = [1, 32, 128]
    @Option(help: "pgbench client counts tried to find its best throughput, the limit.") var limitClients: [Int] = [2, 4, 8, 16]
    @Option(help: "Seconds per measurement.") var seconds: Int = 10
    @Option(help: "Patrons in the generated consortium.") var patrons: Int = 100_000
    @Option(help: "Loans in the generated consortium (open and returned).") var loans: Int = 1_000_000
    @Option(help: "Loopback port for the service under load.") var port: Int = 18089
    @Option(help: "Embedded cluster folder.") var directory: String = ".data/bench-postgres"
    @Option(help: "Interleaved pgbench/HTTP rounds per client count (medians are reported).") var rounds: Int = 1
    @Flag(inversion: .prefixedNo, help: "Also send requests at half of the best throughput (needs 1 in --clients).") var openLoop = true
    @Option(help: "Connections of the open-loop generator.") var openLoopConnections = 32
    @Flag(inversion: .prefixedNo, help: "Also measure the same pipeline behind a bare HTTP loop (what the HTTP stack costs).") var bare = true

    func run() async throws {
        let wrk = try LoadRunner.wrkPath()
        let bench = try await BenchDatabase.prepare(patrons: patrons, loans: loans, directory: directory, role: "circulation_staff")
        defer { bench.stop() }
        let (handles, token) = (bench.handles, bench.token)

        let load = LoadRunner(wrk: wrk, bench: bench, port: port, seconds: seconds)
        let service = AppConfiguration(reader: load.serviceConfiguration)
        let randomPatron = "random(\(handles.patronRange.lowerBound), \(handles.patronRange.upperBound))"
        say("")
        say("random patron of one library (\(handles.patronRange.count) patrons), checkout at one of its branches")
        say("service as it ships: pool of \(service.poolSize) connections, at most \(service.poolMaxWaiting) requests waiting")
        let limit = try limitClients.map { (clients: $0, figures: try load.pgbench(clients: $0, patron: randomPatron)) }
            .max { $0.figures.perSecond < $1.figures.perSecond }!
        say(String(format: "the limit: pgbench at its best client count (%d of %@): %.0f tx/s", limit.clients,
            limitClients.map(String.init).joined(separator: ", "), limit.figures.perSecond))
        say("\(rounds) interleaved round(s) of \(seconds) s per line; medians; ratio = HTTP ÷ pgbench at the same count, and ÷ the limit;")
        say("piped: pgbench sending the transaction's statements in one pipeline, one round trip as the service does (plain pgbench")
        say("waits for each statement's answer: four round trips); ÷piped = HTTP ÷ that, the service against the physical limit")
        say("clients  pgbench tx/s  p50 µs  p99 µs   HTTP req/s  p50 µs  p99 µs  failed   ratio  ÷limit  piped tx/s  p50 µs  ÷piped")
        var measured: [(clients: Int, http: LoadFigures)] = []
        var bareLines: [String] = []
        for count in clients {
            var sql: [LoadFigures] = [], http: [LoadFigures] = [], piped: [LoadFigures] = [], bare: [LoadFigures] = []
            for _ in 0..<rounds {
                sql.append(try load.pgbench(clients: count, patron: randomPatron))
                http.append(try await load.http(clients: count, patrons: handles.patronRange))
                piped.append(try load.pgbench(clients: count, patron: randomPatron, pipelined: true))
                if self.bare { bare.append(try await load.http(clients: count, patrons: handles.patronRange, against: .bare)) }
            }
            let (s, h, p) = (LoadFigures.median(sql), LoadFigures.median(http), LoadFigures.median(piped))
            measured.append((count, h))
            if self.bare {
                let b = LoadFigures.median(bare)
                bareLines.append(String(format: "%7d  %10.0f  %6.0f  %6.0f  %6d   %5.2f   %5.2f   %8.2f", count, b.perSecond, b.p50Microseconds,
                    b.p99Microseconds, b.failed, b.perSecond / s.perSecond, b.perSecond / p.perSecond, h.perSecond / b.perSecond))
            }
            say(String(format: "%7d  %12.0f  %6.0f  %6.0f   %10.0f  %6.0f  %6.0f  %6d   %5.2f  %5.2f  %10.0f  %6.0f  %6.2f", count, s.perSecond,
                s.p50Microseconds, s.p99Microseconds, h.perSecond, h.p50Microseconds, h.p99Microseconds, h.failed, h.perSecond / s.perSecond,
                h.perSecond / limit.figures.perSecond, p.perSecond, p.p50Microseconds, h.perSecond / p.perSecond))
        }
        if self.bare {
            say("")
            say("bare: the same pipeline, on a pool configured as the service's, behind the least HTTP/1.1 loop that answers wrk, on the")
            say("Postgres reactors (no SwiftNIO, no Hummingbird, no middleware: BareHTTPLoop), in the same rounds; HTTP÷bare = the")
            say("service against it: what the service's HTTP stack costs")
            say("clients   bare req/s  p50 µs  p99 µs  failed  ÷pgbench  ÷piped  HTTP÷bare")
            bareLines.forEach { say($0) }
        }
        if let few = measured.first(where: { $0.clients == 32 }), let many = measured.first(where: { $0.clients == 128 }) {
            load.reportTailGoal(few: few, many: many)
        }
        if openLoop, let unloaded = measured.min(by: { $0.clients < $1.clients }), unloaded.clients == 1 {
            let (token, branch, patrons) = (token, handles.branch, handles.patronRange)
            try await load.reportOpenLoop(path: "eligibility", saturation: measured.map(\.http.perSecond).max()!,
                unloadedP50: unloaded.http.p50Microseconds, connections: openLoopConnections,
                pgbenchAtRate: { try load.pgbench(clients: service.poolSize, patron: randomPatron, rate: $0) }) { _ in
                BenchHTTPConnection.request("GET", "/staff/v1/patrons/\(Int64.random(in: patrons))/eligibility?branchId=\(branch)",
                    headers: [("Authorization", "Bearer \(token)")])
            }
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
