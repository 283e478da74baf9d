import ArgumentParser
import Foundation
import PatronServices
import Postgres

/// `bench write`: registering a patron (`POST /staff/v1/patrons`) on a small and a large generated
/// consortium, each against pgbench running the same statements there, and what one registration costs
/// on the large consortium against the small.
struct WriteBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write", abstract: "Benchmark POST /staff/v1/patrons at two consortium sizes against pgbench.")

    @Option(help: "Consortium sizes in patrons (a small and a large one).") var sizes: [Int] = [1_000, 1_000_000]
    @Option(help: "Clients (HTTP connections and pgbench clients).") var clients: Int = 1
    @Option(help: "Seconds per measurement.") var seconds: Int = 10
    @Option(help: "Loopback port for the service under load.") var port: Int = 18091
    @Option(help: "Embedded cluster folder.") var directory: String = ".data/bench-postgres"

    func run() async throws {
        let wrk = try LoadRunner.wrkPath()
        var perRequest: [(size: Int, sql: Double, http: Double)] = []
        say("path                      patrons  clients  pgbench tx/s  p50 µs  p99 µs   HTTP req/s  p50 µs  p99 µs  failed  ratio")
        for size in sizes {
            let bench = try await BenchDatabase.prepare(patrons: size, loans: size, directory: directory, role: "library_admin")
            defer { bench.stop() }
            let handles = bench.handles
            let load = LoadRunner(wrk: wrk, bench: bench, port: port, seconds: seconds)
            // What the service sends for one registration, with the barcode drawn by pgbench.
            let marker = "MARKER-BARCODE"
            let fields = #"{"barcode": "\#(marker)", "first_name": "Bench", "last_name": "Writer", "registered_branch_id": \#(handles.branch), "patron_type_id": \#(handles.adultType)}"#
            let statements = TransactionOptions().prelude
                + [StaffQueries.authenticate(token: bench.token, roles: AllowedStaffRoles(StaffRole.circulation)),
                   PatronQueries.savePatron(nil, PostgresJSON(text: fields)), "commit"]
            let quoted = "'" + fields + "'"
            let script = "\\set n random(1, 999999999999)\n" + statements.map {
                LoadRunner.inline($0, replacing: [fields: "(" + quoted.replacingOccurrences(of: marker, with: "PGB-' || :client_id || '-' || :n || '") + ")"])
                    + ";\n"
            }.joined()
            let sql = try load.pgbench(clients: clients, script: script)
            let http = try await load.http(clients: clients, script: """
                local counter = 0
                math.randomseed(os.time())
                local prefix = "W" .. os.time() .. "-" .. math.random(1, 999999999) .. "-"
                local headers = { ["Authorization"] = "Bearer \(bench.token)", ["Content-Type"] = "application/json" }
                request = function()
                  counter = counter + 1
                  local body = '{"barcode": "' .. prefix .. counter .. '", "firstName": "Bench", "lastName": "Writer", '
                    .. '"registeredBranchId": \(handles.branch), "patronTypeId": \(handles.adultType)}'
                  return wrk.format("POST", "/staff/v1/patrons", headers, body)
                end
                """)
            say(String(format: "POST /staff/v1/patrons  %9d  %7d  %12.0f  %6.0f  %6.0f   %10.0f  %6.0f  %6.0f  %6d  %5.2f", bench.counts.patrons,
                clients, sql.perSecond, sql.p50Microseconds, sql.p99Microseconds, http.perSecond, http.p50Microseconds,
                http.p99Microseconds, http.failed, http.perSecond / sql.perSecond))
            perRequest.append((bench.counts.patrons, 1 / sql.perSecond, 1 / http.perSecond))
        }
        if let small = perRequest.first, let large = perRequest.last, perRequest.count > 1 {
            say(String(format: "one registration at %d patrons costs %.2f× what it costs at %d under pgbench, %.2f× over HTTP",
                large.size, large.sql / small.sql, small.size, large.http / small.http))
        }
    }
}
