import ArgumentParser
import Foundation
import PatronServices
import PatronServicesHTTP
import Postgres

/// The PAC, driven by wrk over HTTP as a PAC front end would: many patrons, each signed in once, then
/// submitting contact changes (`POST /pac/v1/change-requests`) and reading their options
/// (`GET /pac/v1/options`); against pgbench running the very statements the service sends for each,
/// with sessions from the same sign-in function, in the same run.
struct PACBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pac", abstract: "Benchmark PAC change requests and options reads from many signed-in patrons against pgbench.")

    @Option(help: "Client counts (HTTP connections and pgbench clients).") var clients: [Int] = [1, 32]
    @Option(help: "Seconds per measurement.") var seconds: Int = 10
    @Option(help: "Patrons in the generated consortium.") var patrons: Int = 100_000
    @Option(help: "Loans in the generated consortium.") var loans: Int = 1_000_000
    @Option(help: "Patrons who sign in (once each, through the API and, for pgbench, through the same SQL).") var sessions: Int = 100
    @Option(help: "Loopback port for the service under load.") var port: Int = 18089
    @Option(help: "Embedded cluster folder.") var directory: String = ".data/bench-postgres"
    @Flag(inversion: .prefixedNo, help: "Also send submissions at half of the best throughput (needs 1 in --clients).") var openLoop = true
    @Option(help: "Connections of the open-loop generator.") var openLoopConnections = 32

    func run() async throws {
        let wrk = try LoadRunner.wrkPath()
        let bench = try await BenchDatabase.prepare(patrons: patrons, loans: loans, directory: directory, role: "library_admin")
        defer { bench.stop() }
        let load = LoadRunner(wrk: wrk, bench: bench, port: port, seconds: seconds)
        let pac = try await PACBenchPatrons.prepare(bench: bench, load: load, count: sessions, logger: BenchDatabase.logger)
        let service = AppConfiguration(reader: load.serviceConfiguration)

        say("")
        say("\(sessions) patrons of one library, each signed in once; PAC client key of one of its branches")
        say("e-mail changes by request (a change request, a Verify Patron block, the staff e-mail queued), as the library set it through the API")
        say("service as it ships: pool of \(service.poolSize) connections; ratio = HTTP ÷ pgbench at the same count; piped: pgbench")
        say("sending the statements in one pipeline, one round trip as the service does; ÷piped = HTTP ÷ that")
        say("path                    clients  pgbench tx/s  p50 µs  p99 µs   HTTP req/s  p50 µs  p99 µs  failed   ratio  piped tx/s  p50 µs  ÷piped")
        var submissions: [(clients: Int, http: LoadFigures)] = []
        for (path, isSubmission) in [("POST change-requests", true), ("GET options", false)] {
            for count in clients {
                let script = isSubmission ? pac.pgbenchSubmission : pac.pgbenchOptions
                let sql = try load.pgbench(clients: count, script: script)
                let http = try await load.http(clients: count, script: isSubmission ? pac.wrkSubmission : pac.wrkOptions)
                let piped = try load.pgbench(clients: count, script: LoadRunner.pipelined(script))
                if isSubmission { submissions.append((count, http)) }
                say(path.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "  %7d  %12.0f  %6.0f  %6.0f   %10.0f  %6.0f  %6.0f  %6d   %5.2f  %10.0f  %6.0f  %6.2f",
                    count, sql.perSecond, sql.p50Microseconds, sql.p99Microseconds, http.perSecond, http.p50Microseconds, http.p99Microseconds,
                    http.failed, http.perSecond / sql.perSecond, piped.perSecond, piped.p50Microseconds, http.perSecond / piped.perSecond))
            }
        }
        if openLoop, let unloaded = submissions.min(by: { $0.clients < $1.clients }), unloaded.clients == 1 {
            try await load.reportOpenLoop(path: "PAC change requests", saturation: submissions.map(\.http.perSecond).max()!,
                unloadedP50: unloaded.http.p50Microseconds, connections: openLoopConnections,
                pgbenchAtRate: { try load.pgbench(clients: service.poolSize, rate: $0, script: pac.pgbenchSubmission) },
                request: pac.submissionRequest)
        }
    }
}
