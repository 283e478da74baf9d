import Foundation
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@Suite("The demo consortium")
struct DemoSeedTests {
    @Test("restarting serve --demo does not pile up valid tokens: each run revokes the credentials the last one issued")
    func rerunRevokesEarlierCredentials() async throws {
        let database = try await TestDatabase.create()
        let seed = DemoSeed(owner: database.owner, sqlDirectory: TestDatabase.sqlDirectory)
        let first = try await seed.run()
        let second = try await seed.run()
        #expect(first.consortiumAdminToken != second.consortiumAdminToken)
        try await PostgresConnection.with(database.owner) { c async throws in
            try await c.execute("begin; select set_config('ps.role', 'consortium_admin', true)")
            let live = try await c.query("select count(*) from ps.staff_token where created_by = 'seed' and revoked_at is null").scalar(Int.self)
            #expect(live == 3, "the consortium admin, library admin and circulation tokens of the last run only")
            let clients = try await c.query("select count(*) from ps.pac_client where created_by = 'seed' and revoked_at is null").scalar(Int.self)
            #expect(clients == 1)
            let stale = try await c.query("select count(*) from ps.staff_token where token_hash = ps.sha256(\(first.consortiumAdminToken)) and revoked_at is not null").scalar(Int.self)
            #expect(stale == 1, "the first run's token no longer works")
            try await c.execute("commit")
        }
    }
}
