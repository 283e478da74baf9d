import Foundation
import PatronServicesTesting
import Synchronization
import Testing

@testable import Postgres

@Suite("Checking pooled connections before use")
struct PoolLivenessTests {
    func handOutTwice(livenessCheckAfter: Duration) async throws -> (checkedAtFirstStatement: Bool, checkedAfter: Bool) {
        let database = try await TestDatabase.create()
        let pool = PostgresPool(configuration: .init(connection: database.superuser, maxConnections: 1, livenessCheckAfter: livenessCheckAfter))
        var connection = try await pool.acquire()
        #expect(try await connection.query("select 1").scalar(Int.self) == 1)
        await pool.release(connection)
        connection = try await pool.acquire()
        let checked = connection.checkBeforeUse.load(ordering: .relaxed)
        #expect(try await connection.query("select 2").scalar(Int.self) == 2)
        let after = connection.checkBeforeUse.load(ordering: .relaxed)
        await pool.release(connection)
        await pool.close()
        return (checked, after)
    }

    @Test("a connection back in the pool for less than livenessCheckAfter is handed out without the liveness poll")
    func recentConnectionUnchecked() async throws {
        #expect(try await handOutTwice(livenessCheckAfter: .seconds(600)) == (false, false))
    }

    @Test("a connection idle for livenessCheckAfter or longer is checked before its first statement, once")
    func idleConnectionChecked() async throws {
        #expect(try await handOutTwice(livenessCheckAfter: .zero) == (true, false))
    }
}
