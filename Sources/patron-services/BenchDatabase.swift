import Foundation
import Logging
import PatronServices
import Postgres

/// The generated consortium a benchmark runs on: the embedded bench cluster started, the database
/// prepared and filled once (kept by name across runs), and a staff token for the benchmark's role.
struct BenchDatabase {
    let cluster: EmbeddedPostgres
    let started: Bool
    let database: String
    let handles: BenchConsortium.Handles
    let counts: (patrons: Int, loans: Int, open: Int, bills: Int)
    let token: String

    /// The benchmarks' own logger: warnings only, so their figures stay readable.
    static var logger: Logger {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        return logger
    }

    /// The name carries the generator's version: v2 spreads bills over every patron.
    static func prepare(patrons: Int, loans: Int, directory: String, role: String, logger: Logger = Self.logger) async throws -> BenchDatabase {
        let cluster = EmbeddedPostgres(baseDirectory: directory, port: 55433, logger: logger)
        let started = try cluster.start()
        let database = "bench_consortium_v2_\(patrons)_\(loans)"
        try await DatabaseBootstrap(superuser: cluster.configuration(), logger: logger)
            .prepare(database: database, sqlDirectory: try SQLDirectory.locate(explicit: nil))
        let consortium = BenchConsortium(patrons: patrons, loans: loans)
        let owner = try await PostgresConnection.connect(cluster.configuration(user: DatabaseRoles.owner, database: database), logger: logger)
        if try await owner.query("select count(*) from ps.library").scalar(Int.self) == 0 {
            say("generating \(patrons) patrons and \(loans) loans (once; kept in database \(database))…")
            let began = ContinuousClock.now
            try await consortium.build(owner)
            // Vacuumed as autovacuum keeps a live database: the visibility map set, so an index-only scan
            // (a report page's range) reads no heap page. Just after bulk inserts it reads one per entry.
            try await owner.execute("vacuum (analyze)")
            say("generated in \(ContinuousClock.now - began)")
        }
        let handles = try await consortium.handles(owner)
        let counts = try await consortium.counts(owner)
        try await owner.execute("begin; select set_config('ps.role', 'consortium_admin', true)")
        let token = try await owner.query(
            "select token from ps.create_staff_token(\(role), \(handles.institution), 'bench', now() + interval '1 day', 'bench')"
        ).scalar(String.self)
        try await owner.execute("commit")
        await owner.close()
        say("consortium: \(counts.patrons) patrons, \(counts.loans) loans (\(counts.open) open), \(counts.bills) bills")
        return BenchDatabase(cluster: cluster, started: started, database: database, handles: handles, counts: counts, token: token)
    }

    func stop() {
        if started { try? cluster.stop() }
    }
}
