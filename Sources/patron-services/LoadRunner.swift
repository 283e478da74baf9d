import ArgumentParser
import Configuration
import Foundation
import Glibc
import Hummingbird
import PatronServices
import PatronServicesHTTP
import Logging
import Postgres
import ServiceLifecycle

/// Runs one measurement: pgbench with the endpoint's statements, or wrk against the real service
/// started in this process configured as it ships (its default pool, whatever the number of clients).
struct LoadRunner {
    let wrk: String
    let cluster: EmbeddedPostgres
    let database: String
    let token: String
    let port: Int
    let seconds: Int
    let branch: Int64

    /// The runner of one generated consortium: its cluster and database, its staff token, its first branch.
    init(wrk: String, bench: BenchDatabase, port: Int, seconds: Int) {
        (self.wrk, self.cluster, self.database, self.token, self.port, self.seconds, self.branch) =
            (wrk, bench.cluster, bench.database, bench.token, port, seconds, bench.handles.branch)
    }

    /// wrk, which drives the closed-loop HTTP load.
    static func wrkPath() throws -> String {
        guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw ValidationError("wrk drives the HTTP load: apt-get install -y wrk")
        }
        return wrk
    }

    /// pgbench running exactly what the service sends for one eligibility request. `patron` is a
    /// pgbench expression for the patron id.
    func pgbench(clients: Int, patron: String, rate: Double? = nil, pipelined: Bool = false) throws -> LoadFigures {
        let patronMarker: Int64 = -7_777_777
        let statements = Self.eligibilityPipeline(token: token, patron: patronMarker, branch: branch)
        let script = "\\set pid \(patron)\n" + statements.map { Self.inline($0, replacing: [String(patronMarker): ":pid"]) + ";\n" }.joined()
        return try pgbench(clients: clients, rate: rate, script: pipelined ? Self.pipelined(script) : script)
    }

    /// The same script with its statements in one pipeline (`\startpipeline` … `\endpipeline`): one round
    /// trip a transaction, as the service sends them, where plain pgbench waits for each statement's answer
    /// before sending the next (four round trips for a staff request). The reference at the physical limit.
    static func pipelined(_ script: String) -> String {
        let lines = script.split(separator: "\n").map(String.init)
        let meta = lines.prefix { $0.hasPrefix("\\") }
        return (meta + ["\\startpipeline"] + lines.dropFirst(meta.count) + ["\\endpipeline"]).joined(separator: "\n") + "\n"
    }

    /// pgbench running a script (prepared statements, `clients` clients, `seconds`), with its per-transaction
    /// latencies; at a fixed `rate` (transactions a second, pgbench's open loop) when one is given.
    func pgbench(clients: Int, rate: Double? = nil, script: String) throws -> LoadFigures {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-pgbench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let scriptPath = folder.appendingPathComponent("script.sql").path
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let logPrefix = folder.appendingPathComponent("tx").path
        let output = try EmbeddedPostgres.runProcess(EmbeddedPostgres.binary("pgbench"), [
            "-n", "-M", "prepared", "-c", String(clients), "-j", String(min(clients, 2)), "-T", String(seconds), "-f", scriptPath,
            "-l", "--log-prefix=\(logPrefix)", "-h", cluster.socketDirectory, "-p", String(cluster.port), "-U", "patron_app", database,
        ] + (rate.map { ["-R", String(Int($0))] } ?? []))
        return try LoadFigures.pgbench(output, logPrefix: logPrefix)
    }

    /// The service's configuration in the benchmark: loopback, the bench database, and no hourly reminder
    /// jobs: they run when the service starts, and the benchmark starts it for every measurement, where on
    /// a 100k-patron consortium they took a core for seconds. Every other setting as it ships: the pool's
    /// size and queue, and the log level (info: one access-log line a request, see ``logging``).
    var serviceConfiguration: ConfigReader {
        let url = "host=\(cluster.socketDirectory) port=\(cluster.port) user=patron_app dbname=\(database)"
        return ConfigReader(providers: [InMemoryProvider(values: [
            "http.host": "127.0.0.1", "http.port": .init(.int(port), isSecret: false),
            "notices.jobsIntervalSeconds": .init(.int(0), isSecret: false),
            "database.url": .init(.string(url), isSecret: true),
        ])])
    }

    /// What wrk loads: the service as it ships, or the same pipeline behind ``BareHTTPLoop``.
    enum Target {
        case service, bare
    }

    /// wrk with `clients` keep-alive connections asking for the eligibility of patrons in `patrons`.
    func http(clients: Int, patrons: ClosedRange<Int64>, against target: Target = .service) async throws -> LoadFigures {
        try await http(clients: clients, against: target, script: """
            local lo, hi = \(patrons.lowerBound), \(patrons.upperBound)
            local headers = { ["Authorization"] = "Bearer \(token)" }
            request = function()
              return wrk.format("GET", "/staff/v1/patrons/" .. math.random(lo, hi) .. "/eligibility?branchId=\(branch)", headers)
            end
            """)
    }

    /// The service logs as it ships: JSON lines (`log.format` json) at info, bootstrapped as `serve` does,
    /// into a file as a deployment's log would be (not the terminal, where the figures are printed). The
    /// file is unlinked once open: the service pays for every line's write, and no run leaves its lines.
    private static let logging: Void = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("patron-services-bench-\(getpid()).log").path
        let file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        unlink(path)
        let writer = LogWriter(descriptor: file >= 0 ? file : STDERR_FILENO)
        LoggingSystem.bootstrap { JSONLogHandler(label: $0, writer: writer) }
    }()

    /// Runs `body` while the service, configured as it ships, serves on `port` in this process.
    func withService<T>(_ body: () async throws -> T) async throws -> T {
        _ = Self.logging
        let app = try await buildApplication(reader: serviceConfiguration)
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "bench")))
        let service = Task { try await group.run() }
        defer { service.cancel() }
        try await waitForPort()
        let result = try await body()
        await group.triggerGracefulShutdown()
        _ = try? await service.value
        return result
    }

    /// Runs `body` while ``BareHTTPLoop`` serves on `port` in this process, over a pool configured as the
    /// service's and connected as it is.
    func withBareLoop<T>(_ body: () async throws -> T) async throws -> T {
        let configuration = AppConfiguration(reader: serviceConfiguration)
        let database = try await DatabaseProvider.resolve(configuration, logger: Logger(label: "bench"))
        let pool = PostgresPool(configuration: configuration.poolConfiguration(database.app))
        let loop = try BareHTTPLoop(port: port)
        let serving = Task { await loop.run(pool: pool) }
        let stop = {
            loop.stop()
            await serving.value
            await pool.close()
        }
        do {
            let result = try await body()
            await stop()
            return result
        } catch {
            await stop()
            throw error
        }
    }

    /// wrk with `clients` keep-alive connections running a Lua script against the service (or the bare
    /// loop) started here.
    func http(clients: Int, against target: Target = .service, script: String) async throws -> LoadFigures {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(getpid()).lua").path
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // One second first, not measured: the pool opens its connections and each session plans the
        // statements, which pgbench does before its clock starts (connecting) or within a few transactions.
        let (wrk, port, seconds) = (wrk, port, seconds)
        let run = { @Sendable (duration: Int) throws -> String in
            try EmbeddedPostgres.runProcess(wrk, [
                "-t", String(min(clients, 2)), "-c", String(clients), "-d", "\(duration)s", "--timeout", "10s", "--latency", "-s", path,
                "http://127.0.0.1:\(port)",
            ])
        }
        let measure = {
            try await Self.offThePool {
                _ = try run(1)
                return try run(seconds)
            }
        }
        let output = try await target == .service ? withService(measure) : withBareLoop(measure)
        return try LoadFigures.wrk(output)
    }

    /// The open-loop generator against the service started here: `rate` requests a second over
    /// `connections` connections for the run's seconds, after one unmeasured second at the same rate.
    func openLoop(rate: Double, connections: Int, request: @escaping @Sendable (Int) -> [UInt8]) async throws -> LoadFigures {
        let (port, seconds) = (port, seconds)
        return try await withService {
            try await Self.offThePool {
                _ = try OpenLoopGenerator(port: port, connections: connections, rate: rate, seconds: 1, request: request).run()
                return try OpenLoopGenerator(port: port, connections: connections, rate: rate, seconds: Double(seconds), request: request).run()
            }
        }
    }

    /// Runs blocking `work` (a child process, the open-loop threads) on a thread of its own: the service
    /// in this process keeps all of Swift's cooperative threads while it is measured, as it would alone.
    static func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    /// The statements the service pipelines for one eligibility request (checkout): `begin`, the staff
    /// token's authentication, the check, `commit`; pgbench and ``BareHTTPLoop`` run exactly these.
    static func eligibilityPipeline(token: String, patron: Int64, branch: Int64) -> [PostgresQuery] {
        TransactionOptions().prelude + [
            StaffQueries.authenticate(token: token, roles: AllowedStaffRoles(StaffQueries.eligibilityRoles)),
            StaffQueries.eligibility(patron: patron, branch: branch, action: "checkout"), "commit",
        ]
    }

    /// The statement as SQL text: each parameter becomes its replacement or a quoted literal.
    static func inline(_ query: PostgresQuery, replacing: [String: String]) -> String {
        var sql = query.sql
        for (index, value) in query.binds.enumerated().reversed() {
            let text = value.map { replacing[$0] ?? "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" } ?? "null"
            sql = sql.replacingOccurrences(of: "$\(index + 1)", with: text)
        }
        return sql
    }

    func waitForPort() async throws {
        for _ in 0..<400 {
            if (try? BenchHTTPConnection(port: port)) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("the service did not start on port \(port)")
    }
}
