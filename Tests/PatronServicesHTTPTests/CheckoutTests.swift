import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@testable import PatronServicesHTTP

/// A Riverside patron with a policy, and items to lend at Riverside Main.
struct CheckoutFixture {
    let fixture: DemoFixture
    let patron: Int64
    let branch: Int64

    static func make(policy: String, items: Int, cost: Int64?) async throws -> CheckoutFixture {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!
        let branch = fixture.branches["RPL-MAIN"]!
        let patron = try await fixture.asAdmin { c async throws -> Int64 in
            let row = try await c.query("select patron_id, patron_type_id from ps.patron where institution_id = \(rpl) order by patron_id limit 1").single()
            let type = try row.decode("patron_type_id", as: Int64.self)
            try await c.query("insert into ps.patron_type_policy (institution_id, patron_type_id) values (\(rpl), \(type))")
            try await c.execute("update ps.patron_type_policy set \(policy) where patron_type_id = \(type)")
            try await c.query("""
                insert into ps.item (institution_id, branch_id, barcode, cost_minor)
                select \(rpl), \(branch), 'ITEM-' || n, \(cost) from generate_series(1, \(items)) n
                """)
            return try row.decode("patron_id", as: Int64.self)
        }
        return CheckoutFixture(fixture: fixture, patron: patron, branch: branch)
    }

    func checkout(_ client: any TestClientProtocol, item: Int, token: String, extra: String = "") async throws -> TestResponse {
        try await client.call(.post, "/staff/v1/checkouts", token: token,
            json: #"{"patronId":\#(patron),"itemBarcode":"ITEM-\#(item)","branchId":\#(branch)\#(extra)}"#)
    }

    func loans() async throws -> Int {
        try await fixture.adminScalar("select count(*) from ps.loan where patron_id = \(patron) and state = 'active'", as: Int.self)
    }
}

@Suite("Checkout: alerts staff override or acknowledge by role, serialised per patron")
struct CheckoutTests {
    @Test("Depending on their account type, staff will need to override or acknowledge the message")
    func overrideVersusAcknowledge() async throws {
        let f = try await CheckoutFixture.make(policy: "max_loan_value_minor = 1500", items: 4, cost: 1000)
        let staff = f.fixture.tokens["RPL/circulation_staff"]!
        let supervisor = f.fixture.tokens["RPL/circulation_supervisor"]!
        try await withApp(database: f.fixture.database) { client async throws in
            #expect(try await f.checkout(client, item: 1, token: staff).status == .created)
            // The second item would take the value on loan to 2000 > 1500: a blocking alert.
            var response = try await f.checkout(client, item: 2, token: staff)
            #expect(response.status == .forbidden)
            let problem = try response.problem()
            #expect(problem.code == "override_required")
            #expect(problem.errors?.first?.field == "max_loan_value")
            response = try await f.checkout(client, item: 2, token: supervisor)
            #expect(try response.problem().code == "override_comment_required")
            response = try await f.checkout(client, item: 2, token: supervisor, extra: #","overrideComment":"Teacher's class set""#)
            #expect(response.status == .created)
            #expect(response.object["overrideComment"] as? String == "Teacher's class set")
            #expect(response.object["overriddenAlerts"] as? [String] == ["max_loan_value"])
            response = try await client.call(.get, "/staff/v1/patrons/\(f.patron)/eligibility?branchId=\(f.branch)", token: staff)
            #expect(response.object["allowed"] as? Bool == false, "the value on loan is over the limit")
            let value = response.condition("max_loan_value")
            #expect(value?["currentValue"] as? Int == 2000)
        }
        // With "block renewal when limit is exceeded" cleared, the same alert only needs acknowledging.
        let g = try await CheckoutFixture.make(policy: "max_loan_value_minor = 1500, block_renewal_when_exceeded = false", items: 3, cost: 1000)
        try await withApp(database: g.fixture.database) { client async throws in
            let staff = g.fixture.tokens["RPL/circulation_staff"]!
            #expect(try await g.checkout(client, item: 1, token: staff).status == .created)
            var response = try await g.checkout(client, item: 2, token: staff)
            #expect(response.status == .conflict)
            #expect(try response.problem().code == "acknowledgement_required")
            response = try await g.checkout(client, item: 2, token: staff, extra: #","acknowledge":["max_loan_value"]"#)
            #expect(response.status == .created)
            #expect(response.object["acknowledgedAlerts"] as? [String] == ["max_loan_value"])
        }
    }

    @Test("64 concurrent checkouts for one patron at its limit never exceed it")
    func concurrentCheckoutsNeverExceed() async throws {
        let f = try await CheckoutFixture.make(policy: "max_loan_value_minor = 5000", items: 64, cost: 1000)
        let staff = f.fixture.tokens["RPL/circulation_staff"]!
        // Generous timeouts: the 64 checkouts queue on the patron's row lock, one after another, and the
        // suite runs in parallel on a small machine; what is asserted is the outcome, not the speed.
        let settings: [AbsoluteConfigKey: ConfigValue] = [
            "database.pool.size": 8, "database.pool.acquireTimeoutMs": 120_000, "database.statementTimeoutMs": 120_000,
        ]
        try await withApp(settings, database: f.fixture.database) { client async throws in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for item in 1...64 { group.addTask { try await f.checkout(client, item: item, token: staff).status.code } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 5)
            #expect(statuses.filter { $0 == 403 }.count == 59, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
        }
        #expect(try await f.loans() == 5)
    }

    @Test("a Verify Patron block stops checkout until staff resolve it (or a supervisor overrides)")
    func verifyBlockStopsCheckout() async throws {
        let f = try await CheckoutFixture.make(policy: "max_items_overdue = null", items: 2, cost: nil)
        try await f.fixture.asAdmin { c async throws in
            try await c.query("insert into ps.patron_block (institution_id, patron_id, kind, created_by) select institution_id, patron_id, 'verify_patron', 'test' from ps.patron where patron_id = \(f.patron)")
        }
        try await withApp(database: f.fixture.database) { client async throws in
            let response = try await f.checkout(client, item: 1, token: f.fixture.tokens["RPL/circulation_staff"]!)
            #expect(response.status == .forbidden)
            #expect(try response.problem().errors?.first?.field == "verify_patron_block")
        }
        #expect(try await f.loans() == 0)
    }
}

@Suite("Renewal, check-in and claims")
struct LoanLifecycleTests {
    func loanID(_ response: TestResponse) throws -> Int { try #require(response.object["loanId"] as? Int) }

    @Test("Block renewal when limit is exceeded: selected, exceeding a limit prevents renewal (a supervisor may override); cleared, it does not")
    func renewalHonoursBlockRenewal() async throws {
        for blockRenewal in [true, false] {
            let f = try await CheckoutFixture.make(policy: "max_claimed_lost = 0, block_renewal_when_exceeded = \(blockRenewal)", items: 2, cost: nil)
            let staff = f.fixture.tokens["RPL/circulation_staff"]!
            try await withApp(database: f.fixture.database) { client async throws in
                let first = try loanID(try await f.checkout(client, item: 1, token: staff))
                let second = try loanID(try await f.checkout(client, item: 2, token: staff))
                #expect(try await client.call(.put, "/staff/v1/loans/\(second)/claim", token: staff, json: #"{"claim":"claimed_lost"}"#).status == .ok)
                var response = try await client.call(.post, "/staff/v1/loans/\(first)/renew", token: staff, json: "{}")
                if blockRenewal {
                    #expect(response.status == .forbidden)
                    #expect(try response.problem().errors?.first?.field == "max_claimed_lost")
                    response = try await client.call(.post, "/staff/v1/loans/\(first)/renew", token: f.fixture.tokens["RPL/circulation_supervisor"]!,
                        json: #"{"overrideComment":"Claim under review"}"#)
                    #expect(response.status == .ok)
                } else {
                    #expect(response.status == .conflict)
                    response = try await client.call(.post, "/staff/v1/loans/\(first)/renew", token: staff, json: #"{"acknowledge":["max_claimed_lost"]}"#)
                    #expect(response.status == .ok)
                }
                #expect(response.object["renewals"] as? Int == 1)
                // Clearing the claim clears the alert.
                #expect(try await client.call(.put, "/staff/v1/loans/\(second)/claim", token: staff, json: #"{"claim":null}"#).object["state"] as? String == "active")
                #expect(try await client.call(.post, "/staff/v1/loans/\(first)/renew", token: staff, json: "{}").status == .ok)
            }
        }
    }

    @Test("Overdue fines and fees are posted to the patron account when the items are returned to the library")
    func checkInPostsFine() async throws {
        let f = try await CheckoutFixture.make(policy: "max_outstanding_billed_minor = 100", items: 1, cost: nil)
        try await f.fixture.asAdmin { c async throws in
            try await c.query("insert into ps.accruing_fines_policy values (\(f.fixture.institutions["RPL"]!), 25, 200, false)")
        }
        let staff = f.fixture.tokens["RPL/circulation_staff"]!
        try await withApp(database: f.fixture.database) { client async throws in
            // A loan recorded late, back-dated: a supervisor's to do.
            let due = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-6 * 86_400))
            let loan = try loanID(try await f.checkout(client, item: 1, token: f.fixture.tokens["RPL/circulation_supervisor"]!,
                extra: #","dueAt":"\#(due)""#))
            var eligibility = try await client.call(.get, "/staff/v1/patrons/\(f.patron)/eligibility?branchId=\(f.branch)", token: staff)
            var billed = eligibility.condition("max_outstanding_billed")
            #expect(billed?["currentValue"] as? Int == 0, "accruing fines do not count by default")
            let response = try await client.call(.post, "/staff/v1/loans/\(loan)/check-in", token: staff)
            #expect(response.object["postedFineMinor"] as? Int == 150)
            eligibility = try await client.call(.get, "/staff/v1/patrons/\(f.patron)/eligibility?branchId=\(f.branch)", token: staff)
            billed = eligibility.condition("max_outstanding_billed")
            #expect(billed?["currentValue"] as? Int == 150)
            #expect(billed?["exceeded"] as? Bool == true)
            #expect(try await client.call(.post, "/staff/v1/loans/\(loan)/check-in", token: staff).status == .conflict)
            #expect(try await client.call(.post, "/staff/v1/loans/\(loan)/check-in", token: f.fixture.tokens["LDL/circulation_staff"]!).status == .notFound)
        }
    }
}

@Suite("Bills: payments and waivers")
struct BillsTests {
    @Test("payments and waivers may be partial; waived amounts count toward the maximum amount waived")
    func partialPaymentsAndWaivers() async throws {
        let f = try await CheckoutFixture.make(policy: "max_waived_minor = 300", items: 0, cost: nil)
        let staff = f.fixture.tokens["RPL/circulation_staff"]!
        try await withApp(database: f.fixture.database) { client async throws in
            var response = try await client.call(.post, "/staff/v1/bills", token: staff, json: #"{"patronId":\#(f.patron),"kind":"lost_item","amountMinor":1000}"#)
            #expect(response.status == .created)
            let bill = try #require(response.object["billId"] as? Int)
            response = try await client.call(.post, "/staff/v1/bills/\(bill)/payments", token: staff, json: #"{"amountMinor":600}"#)
            #expect(response.object["balanceMinor"] as? Int == 400)
            #expect(response.object["state"] as? String == "outstanding")
            response = try await client.call(.post, "/staff/v1/bills/\(bill)/waivers", token: staff, json: #"{"amountMinor":500}"#)
            #expect(response.status == .conflict, "more than the balance conflicts with the bill as it stands")
            #expect(try response.problem().code == "exceeds_balance")
            #expect(try response.problem().errors?.first?.field == "amountMinor")
            response = try await client.call(.post, "/staff/v1/bills/\(bill)/waivers", token: staff, json: #"{"amountMinor":400}"#)
            #expect(response.object["state"] as? String == "paid")
            #expect(response.object["balanceMinor"] as? Int == 0)
            response = try await client.call(.post, "/staff/v1/bills/\(bill)/payments", token: staff, json: #"{"amountMinor":1}"#)
            #expect(try response.problem().code == "bill_not_outstanding")
            response = try await client.call(.get, "/staff/v1/patrons/\(f.patron)/eligibility?branchId=\(f.branch)", token: staff)
            let waived = response.condition("max_amount_waived")
            #expect(waived?["currentValue"] as? Int == 400)
            #expect(waived?["exceeded"] as? Bool == true)
            response = try await client.call(.get, "/staff/v1/patrons/\(f.patron)/bills", token: staff)
            #expect(response.object["postedMinor"] as? Int == 0)
            #expect((response.object["bills"] as? [[String: Any]])?.count == 1)
            response = try await client.call(.post, "/staff/v1/bills/\(bill)/payments", token: f.fixture.tokens["LDL/circulation_staff"]!, json: #"{"amountMinor":1}"#)
            #expect(response.status == .notFound)
        }
    }
}
