import Foundation
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@Suite("The reminder jobs' transaction")
struct NoticeJobTimeoutTests {
    @Test("the reminder jobs run under a batch's statement timeout (30 min), where a request keeps the sessions' 15 s: at a million patrons the jobs took longer than 15 s and every run was cancelled")
    func jobsHaveABatchTimeout() async throws {
        let database = try await TestDatabase.create()
        var configuration = database.app
        configuration.statementTimeoutMilliseconds = 15_000
        let pool = PostgresPool(configuration: .init(connection: configuration, maxConnections: 1, acquireTimeout: .seconds(30)))
        let setting: PostgresQuery = "select current_setting('statement_timeout')"
        let job = try await pool.transactionalQuery(setting, options: NoticeQueries.jobOptions).scalar(String.self)
        let request = try await pool.transactionalQuery(setting, options: NoticeQueries.systemOptions("system:test")).scalar(String.self)
        let after = try await pool.query(setting).scalar(String.self)
        #expect(job == "30min")
        #expect(request == "15s")
        #expect(after == "15s", "the job's timeout ends with its transaction")
        await pool.close()
    }
}
