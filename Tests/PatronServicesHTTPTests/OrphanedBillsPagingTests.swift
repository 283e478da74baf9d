import Foundation
import HTTPTypes
import HummingbirdTesting
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

/// The Orphaned Bills report pages through its candidates (deleted patrons' outstanding bills, found
/// by `ps.bill.patron_deleted`, and pending memberships' bills) in bill id order, keeping those the view
/// calls orphaned: "Use the Outstanding Fees and Bills Report to identify orphaned bills."
@Suite("Orphaned bills: candidates kept by the bills themselves, paged in order")
struct OrphanedBillsPagingTests {
    /// Every page of the report for `token` at `limit`: the bill ids in order, and each page's length.
    func allPages(_ client: some TestClientProtocol, token: String, limit: Int) async throws -> (ids: [Int], sizes: [Int]) {
        var ids: [Int] = [], sizes: [Int] = [], after: Int?
        repeat {
            let response = try await client.call(.get, "/staff/v1/reports/orphaned-bills?limit=\(limit)" + (after.map { "&afterBillId=\($0)" } ?? ""),
                token: token)
            #expect(response.status == .ok)
            let page = try #require(response.object["bills"] as? [[String: Any]])
            ids += page.compactMap { $0["billId"] as? Int }
            sizes.append(page.count)
            after = response.object["nextAfterBillId"] as? Int
        } while after != nil && sizes.count < 100
        return (ids, sizes)
    }

    @Test("orphaned bills pages read on past pending memberships that are not orphaned: every orphan once, in bill id order, and no page short of the limit before the last")
    func pagesReadOnPastCandidates() async throws {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!, ldl = fixture.institutions["LDL"]!
        // Twelve bills of twelve Riverside patrons, raised in turn: a pending membership whose policy still
        // applies (not orphaned), a pending membership whose policy was removed, a patron then deleted.
        let (expected, partnerBill, partnerPatron) = try await fixture.asAdmin { c async throws -> ([Int], Int, Int64) in
            let patrons = try await c.query("""
                select patron_id from ps.patron where institution_id = \(rpl) and deleted_at is null order by patron_id limit 12
                """).rows.map { try $0.decode("patron_id", as: Int64.self) }
            try #require(patrons.count == 12)
            let kept = try await c.query("""
                insert into ps.membership_policy (institution_id, name, fee_minor, period_days) values (\(rpl), 'Kept', 1000, 365)
                returning membership_policy_id
                """).scalar(Int64.self)
            let removed = try await c.query("""
                insert into ps.membership_policy (institution_id, name, fee_minor, period_days) values (\(rpl), 'Removed', 1000, 365)
                returning membership_policy_id
                """).scalar(Int64.self)
            try await c.query("""
                insert into ps.patron_type_policy (institution_id, patron_type_id, membership_policy_id)
                select distinct \(rpl)::bigint, patron_type_id, \(kept)::bigint from ps.patron where patron_id = any(\(patrons))
                on conflict (institution_id, patron_type_id) do update set membership_policy_id = excluded.membership_policy_id
                """)
            var orphans: [Int] = []
            for (index, patron) in patrons.enumerated() {
                let bill = try await c.query("""
                    insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at) values (\(rpl), \(patron), 'other', \(100 + index), now())
                    returning bill_id
                    """).scalar(Int.self)
                switch index % 3 {
                case 0, 1:
                    try await c.query("""
                        insert into ps.membership (institution_id, patron_id, membership_policy_id, bill_id)
                        values (\(rpl), \(patron), \(index % 3 == 0 ? kept : removed), \(bill))
                        """)
                    if index % 3 == 1 { orphans.append(bill) }
                default:
                    try await c.query("update ps.patron set deleted_at = now() where patron_id = \(patron)")
                    orphans.append(bill)
                }
            }
            // A Lakeshore patron who owes Riverside, deleted below by Lakeshore's staff.
            let partner = try await c.query("select min(patron_id) from ps.patron where institution_id = \(ldl) and deleted_at is null").scalar(Int64.self)
            let owed = try await c.query("""
                insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at) values (\(rpl), \(partner), 'lost_item', 2500, now())
                returning bill_id
                """).scalar(Int.self)
            return ((orphans + [owed]).sorted(), owed, partner)
        }
        try await withApp(database: fixture.database) { client async throws in
            let deleted = try await client.call(.delete, "/staff/v1/patrons/\(partnerPatron)", token: fixture.tokens["LDL/library_admin"]!)
            #expect(deleted.status == .ok)
            let reader = fixture.tokens["RPL/report_reader"]!
            for limit in [1, 2, 3, 5000] {
                let (ids, sizes) = try await allPages(client, token: reader, limit: limit)
                #expect(ids == expected, "limit \(limit)")
                #expect(sizes.dropLast().allSatisfy { $0 == limit }, "limit \(limit): every page but the last is full: \(sizes)")
            }
            let admin = try await allPages(client, token: fixture.credentials.consortiumAdminToken, limit: 2)
            #expect(admin.ids.filter(expected.contains) == expected, "a consortium administrator's pages hold every library's orphans")
            let elsewhere = try await allPages(client, token: fixture.tokens["LDL/report_reader"]!, limit: 2)
            #expect(elsewhere.ids.filter(expected.contains).isEmpty, "the bill is Riverside's: Lakeshore's report does not show it")
        }
        // The DBA's view gives the same bills.
        let viewed = try await fixture.asService(institution: "RPL", role: "report_reader") { c async throws in
            try await c.query("select bill_id from ps.orphaned_bills order by bill_id").rows.map { try $0.decode("bill_id", as: Int.self) }
        }
        #expect(viewed == expected)
        // Bringing the partner's patron back takes the bill off the report.
        try await fixture.asAdmin { c async throws in
            try await c.query("update ps.patron set deleted_at = null where patron_id = \(partnerPatron)")
        }
        try await withApp(database: fixture.database) { client async throws in
            let (ids, _) = try await allPages(client, token: fixture.tokens["RPL/report_reader"]!, limit: 5000)
            #expect(ids == expected.filter { $0 != partnerBill })
        }
    }

    @Test("a bill's patron_deleted is its patron's: set on every bill of a deleted patron in every library, on a bill raised for one, cleared when the patron is restored, and never what a write names")
    func flagFollowsThePatron() async throws {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!, ldl = fixture.institutions["LDL"]!
        try await fixture.asAdmin { c async throws in
            let patron = try await c.query("select min(patron_id) from ps.patron where institution_id = \(ldl) and deleted_at is null").scalar(Int64.self)
            func raise(_ institution: Int64) async throws -> Int64 {
                try await c.query("""
                    insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at, patron_deleted)
                    values (\(institution), \(patron), 'other', 300, now(), true) returning bill_id
                    """).scalar(Int64.self)
            }
            func flags(_ bills: [Int64]) async throws -> [Bool] {
                try await c.query("select patron_deleted from ps.bill where bill_id = any(\(bills)) order by bill_id").rows
                    .map { try $0.decode("patron_deleted", as: Bool.self) }
            }
            let own = try await raise(ldl), partners = try await raise(rpl)
            #expect(try await flags([own, partners]) == [false, false], "an insert naming the flag gets the patron's state")
            try await c.query("update ps.patron set deleted_at = now() where patron_id = \(patron)")
            #expect(try await flags([own, partners]) == [true, true])
            let later = try await raise(rpl)
            #expect(try await flags([later]) == [true], "a bill raised for a deleted patron")
            try await c.query("update ps.bill set patron_deleted = false where bill_id = \(later)")
            #expect(try await flags([later]) == [true], "a write naming the flag is corrected")
            try await c.query("update ps.patron set deleted_at = null where patron_id = \(patron)")
            #expect(try await flags([own, partners, later]) == [false, false, false])
        }
    }

    /// An owner's session in a transaction, as a consortium administrator.
    static func openTransaction(_ fixture: DemoFixture) async throws -> PostgresConnection {
        let connection = try await PostgresConnection.connect(fixture.database.owner)
        try await connection.execute("begin; select set_config('ps.role', 'consortium_admin', true)")
        return connection
    }

    @Test("a bill raised while its patron is being deleted waits for the deletion and is marked, and a deletion while a bill is being raised waits for it and marks it")
    func raisingAndDeletingAtOnce() async throws {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!
        let outside = try await PostgresConnection.connect(fixture.database.owner)
        let patrons = try await fixture.asAdmin { c in
            try await c.query("select patron_id from ps.patron where institution_id = \(rpl) and deleted_at is null order by patron_id limit 2")
                .rows.map { try $0.decode("patron_id", as: Int64.self) }
        }
        try #require(patrons.count == 2)
        let raise = { @Sendable (connection: PostgresConnection, patron: Int64) async throws -> Int64 in
            try await connection.query("""
                insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at) values (\(rpl), \(patron), 'other', 400, now())
                returning bill_id
                """).scalar(Int64.self)
        }
        let waits = { @Sendable () async throws -> Bool in
            try await outside.query("""
                select count(*) from pg_locks l join pg_stat_activity a using (pid) where not l.granted and a.datname = current_database()
                """).scalar(Int.self) > 0
        }
        // The deletion first: the bill waits for it.
        let deleting = try await Self.openTransaction(fixture)
        try await deleting.query("update ps.patron set deleted_at = now() where patron_id = \(patrons[0])")
        let raised = Task {
            let billing = try await Self.openTransaction(fixture)
            let bill = try await raise(billing, patrons[0])
            try await billing.execute("commit")
            await billing.close()
            return bill
        }
        try await eventually(seconds: 30) { try await waits() }
        try await deleting.execute("commit")
        await deleting.close()
        let first = try await raised.value
        // The bill first: the deletion waits for it.
        let billing = try await Self.openTransaction(fixture)
        let second = try await raise(billing, patrons[1])
        let deleted = Task {
            let deleting = try await Self.openTransaction(fixture)
            try await deleting.query("update ps.patron set deleted_at = now() where patron_id = \(patrons[1])")
            try await deleting.execute("commit")
            await deleting.close()
        }
        try await eventually(seconds: 30) { try await waits() }
        try await billing.execute("commit")
        await billing.close()
        try await deleted.value
        let flags = try await outside.query("select patron_deleted from ps.bill where bill_id in (\(first), \(second))").rows
            .map { try $0.decode("patron_deleted", as: Bool.self) }
        #expect(flags == [true, true])
        await outside.close()
    }
}
