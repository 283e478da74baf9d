import Foundation
import Logging
import PatronServicesTesting
import Postgres
import Testing

@Suite("Surviving a server restart", .serialized)
struct RestartTests {
    /// Its own cluster, so restarting it disturbs no other test.
    static let cluster = EmbeddedPostgres(
        baseDirectory: TestDatabase.repositoryRoot + "/.data/restart-postgres", port: 55430, logger: Logger(label: "restart"))

    @Test("after pg_ctl restart the next query succeeds without restarting the process")
    func queryAfterRestart() async throws {
        let cluster = Self.cluster
        try cluster.start()
        let pool = PostgresPool(configuration: .init(connection: cluster.configuration(), maxConnections: 2))
        let before = try await pool.query("select pg_backend_pid()").scalar(Int32.self)
        try cluster.restart()
        let after = try await pool.query("select pg_backend_pid()").scalar(Int32.self)
        #expect(before != after)
        #expect(pool.statistics.opened == 2)
        await pool.close()
        try cluster.stop()
    }

    @Test("the pool says once when the database goes away, and once when it is back")
    func outageLogged() async throws {
        let cluster = Self.cluster
        try cluster.start()
        let logs = CapturedLogs()
        let pool = PostgresPool(configuration: .init(connection: cluster.configuration(), maxConnections: 1, livenessCheckAfter: .zero),
            logger: logs.logger(label: "pool"))
        _ = try await pool.query("select 1")
        try cluster.stop()
        for _ in 0..<3 { _ = try? await pool.query("select 1") }
        #expect(logs.lines.filter { $0.message == "database unreachable" }.count == 1)
        #expect(logs.lines.first { $0.message == "database unreachable" }?.level == .error)
        try cluster.start()
        #expect(try await pool.query("select 2").scalar(Int.self) == 2)
        #expect(logs.lines.filter { $0.message == "database reachable again" }.count == 1)
        await pool.close()
        try cluster.stop()
    }
}
