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
            #expect(live == 4, "the consortium admin, library admin, circulation staff and supervisor tokens of the last run only")
            let clients = try await c.query("select count(*) from ps.pac_client where created_by = 'seed' and revoked_at is null").scalar(Int.self)
            #expect(clients == 1)
            let stale = try await c.query("select count(*) from ps.staff_token where token_hash = ps.sha256(\(first.consortiumAdminToken)) and revoked_at is not null").scalar(Int.self)
            #expect(stale == 1, "the first run's token no longer works")
            try await c.execute("commit")
        }
    }

    @Test("serve --demo's consortium shows every feature: options on, costed and uncosted items, overdue and claimed loans, bills, a waiver, memberships (one expired), a suspension, a pending change request, an orphaned bill, a patron over a limit")
    func showcaseHasEveryFeature() async throws {
        let database = try await TestDatabase.create()
        let credentials = try await DemoSeed(owner: database.owner, sqlDirectory: TestDatabase.sqlDirectory, showcase: true).run()
        let overLimit = try #require(credentials.overLimitBarcode)
        try await PostgresConnection.with(database.owner) { c async throws in
            try await c.execute("begin; select set_config('ps.role', 'consortium_admin', true)")
            func count(_ sql: PostgresQuery) async throws -> Int { try await c.query(sql).scalar(Int.self) }
            let demo = try await c.query("select patron_id, registered_branch_id from ps.patron where barcode = \(credentials.patronBarcode)").single()
            let patron: Int64 = try demo.decode("patron_id")
            let options = try await c.query("select ps.pac_options(\(try demo.decode("registered_branch_id", as: Int64.self)), \(patron))").scalar(PostgresJSON.self).text
            #expect(options.contains(#""patronCanRequestUpdates": true"#), "the demo patron's code is allowed: \(options)")
            #expect(try await count("select count(distinct value) from ps.setting_value where name = 'pac.address_change'") == 2,
                    "request mode at one level, direct at another")
            #expect(try await count("select count(*) from ps.item where cost_minor is null") >= 1)
            #expect(try await count("select count(*) from ps.item where cost_minor is not null") >= 1)
            #expect(try await count("select count(*) from ps.loan where patron_id = \(patron) and state = 'active' and due_at < now()") >= 1)
            #expect(try await count("select count(*) from ps.loan where state like 'claimed%'") >= 1)
            #expect(try await count("select count(*) from ps.bill where posted_at is not null and state = 'outstanding'") >= 1)
            #expect(try await count("select count(*) from ps.bill where waived_minor > 0") >= 1)
            #expect(try await count("select count(*) from ps.accruing_fines_policy where daily_fine_minor > 0") >= 1)
            #expect(try await count("select count(*) from ps.membership where state = 'active' and ends_at < now()") == 1, "one expired membership")
            #expect(try await count("select count(*) from ps.membership where state = 'active' and ends_at > now()") >= 1)
            #expect(try await count("select count(*) from ps.suspension where lifted_at is null and ends_at > now()") >= 1)
            #expect(try await count("select count(*) from ps.change_request where status = 'pending'") >= 1)
            #expect(try await count("select count(*) from ps.orphaned_bills") >= 1, "the Orphaned Bills report has a row")
            let over = try await c.query("select patron_id, institution_id, registered_branch_id from ps.patron where barcode = \(overLimit)").single()
            try await c.query("select set_config('ps.institution_id', \(String(try over.decode("institution_id", as: Int64.self))), true), set_config('ps.role', 'circulation_staff', true)")
            let blocking = try await count("""
                select count(*) from ps.eligibility(\(try over.decode("patron_id", as: Int64.self)), \(try over.decode("registered_branch_id", as: Int64.self)), 'checkout') e
                where e.exceeded and e.blocks
                """)
            #expect(blocking >= 1, "a patron over at least one limit")
            try await c.execute("rollback")
        }
    }
}
