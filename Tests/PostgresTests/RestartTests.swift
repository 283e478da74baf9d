import Foundation
import Logging
import PatronServicesTesting
import Postgres
import Testing

@Suite("Surviving a server restart")
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
}
