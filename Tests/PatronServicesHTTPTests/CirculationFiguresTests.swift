import Foundation
import HTTPTypes
import HummingbirdTesting
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@testable import PatronServicesHTTP

/// The per-patron figures the eligibility check reads (ps.patron_circulation) are kept by triggers in the
/// transactions that change loans, item costs and bills; a recount (ps.patron_circulation_drift) finds
/// nothing after any mix of operations.
@Suite("Per-patron circulation figures")
struct CirculationFiguresTests {
    /// A small deterministic generator, so a failing sequence can be replayed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state
        }
    }

    @Test("after 240 random checkouts, renewals, check-ins, claims, bills, payments, waivers, cancellations and cost changes through the API, a recount of every patron matches the kept figures")
    func figuresNeverDrift() async throws {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!, branch = fixture.branches["RPL-MAIN"]!
        let patrons = try await fixture.asAdmin { connection in
            try await connection.query("select patron_id from ps.patron where institution_id = \(rpl) order by patron_id limit 6")
                .rows.map { try $0.decode("patron_id", as: Int64.self) }
        }
        let supervisor = fixture.tokens["RPL/circulation_supervisor"]!
        try await withApp(database: fixture.database) { client async throws in
            var random = Generator(state: 20261125)
            var items: [Int64] = []
            for n in 0..<12 {
                let response = try await client.call(.post, "/staff/v1/items", token: supervisor,
                    json: #"{"barcode": "FIG-\#(n)", "branchId": \#(branch), "costMinor": \#(n % 4 == 0 ? "null" : String(100 * n))}"#)
                items.append(Int64(try #require(response.object["itemId"] as? Int)))
            }
            let conditions = #"["max_items_overdue", "max_days_overdue", "max_claimed_lost", "max_claimed_returned", "max_claimed_never_had", "max_loan_value", "max_outstanding_billed", "max_amount_waived", "suspended", "verify_patron_block", "membership"]"#
            var applied = 0
            for _ in 0..<240 {
                let (loans, bills) = try await fixture.asAdmin { connection in
                    (try await connection.query("select loan_id from ps.loan l join ps.item i using (item_id) where i.barcode like 'FIG-%' and l.state <> 'returned' order by loan_id")
                        .rows.map { try $0.decode("loan_id", as: Int64.self) },
                     try await connection.query("select bill_id from ps.bill where patron_id = any(\(patrons)) and state = 'outstanding' order by bill_id")
                        .rows.map { try $0.decode("bill_id", as: Int64.self) })
                }
                let patron = patrons.randomElement(using: &random)!
                var response: TestResponse
                switch Int.random(in: 0..<9, using: &random) {
                case 0, 1:
                    let item = Int.random(in: 0..<items.count, using: &random)
                    let due = Int.random(in: -30...30, using: &random)
                    let dueAt = ISO8601DateFormatter().string(from: Date().addingTimeInterval(Double(due) * 86_400 + 60))
                    response = try await client.call(.post, "/staff/v1/checkouts", token: supervisor, json: #"""
                        {"patronId": \#(patron), "itemBarcode": "FIG-\#(item)", "branchId": \#(branch), "dueAt": "\#(dueAt)",
                         "overrideComment": "figures test", "acknowledge": \#(conditions)}
                        """#)
                case 2 where !loans.isEmpty:
                    response = try await client.call(.post, "/staff/v1/loans/\(loans.randomElement(using: &random)!)/renew", token: supervisor,
                        json: #"{"overrideComment": "figures test", "acknowledge": \#(conditions)}"#)
                case 3 where !loans.isEmpty:
                    response = try await client.call(.post, "/staff/v1/loans/\(loans.randomElement(using: &random)!)/check-in", token: supervisor)
                case 4 where !loans.isEmpty:
                    let claim = ["\"claimed_lost\"", "\"claimed_returned\"", "\"claimed_never_had\"", "null"].randomElement(using: &random)!
                    response = try await client.call(.put, "/staff/v1/loans/\(loans.randomElement(using: &random)!)/claim", token: supervisor,
                        json: #"{"claim": \#(claim)}"#)
                case 5:
                    response = try await client.call(.post, "/staff/v1/bills", token: supervisor,
                        json: #"{"patronId": \#(patron), "kind": "other", "amountMinor": \#(Int.random(in: 1...900, using: &random))}"#)
                case 6 where !bills.isEmpty:
                    let kind = Bool.random(using: &random) ? "payments" : "waivers"
                    response = try await client.call(.post, "/staff/v1/bills/\(bills.randomElement(using: &random)!)/\(kind)", token: supervisor,
                        json: #"{"amountMinor": \#(Int.random(in: 1...300, using: &random))}"#)
                case 7 where !bills.isEmpty:
                    response = try await client.call(.post, "/staff/v1/bills/\(bills.randomElement(using: &random)!)/cancel", token: supervisor)
                default:
                    let cost = Bool.random(using: &random) ? "null" : String(Int.random(in: 0...5000, using: &random))
                    response = try await client.call(.patch, "/staff/v1/items/\(items.randomElement(using: &random)!)", token: supervisor,
                        json: #"{"costMinor": \#(cost)}"#)
                }
                // Refusals (an item already on loan, a payment beyond the balance) are part of the mix; a 5xx never is.
                #expect(response.status.code < 500, "\(response.status)")
                if (200..<300).contains(response.status.code) { applied += 1 }
            }
            #expect(applied > 120, "most operations went through (\(applied))")
        }
        let (drift, kept) = try await fixture.asAdmin { connection in
            (try await connection.query("select count(*) from ps.patron_circulation_drift").scalar(Int.self),
             try await connection.query("select count(*) from ps.patron_circulation where patron_id = any(\(patrons)) and (open_loans > 0 or posted_balance_minor > 0)").scalar(Int.self))
        }
        #expect(drift == 0, "every patron's kept figures equal a recount")
        #expect(kept > 0, "the figures were exercised")
    }

    @Test("the drift view names a patron whose kept figures were changed behind the triggers' back")
    func driftIsVisible() async throws {
        let fixture = try await DemoFixture.make()
        let drift = try await fixture.asAdmin { connection in
            // A patron with no loans and no bills, given a loan value nothing accounts for.
            try await connection.query("""
                insert into ps.patron_circulation (patron_id, institution_id, loan_value_minor)
                select patron_id, institution_id, 100 from ps.patron p
                where not exists (select 1 from ps.patron_circulation pc where pc.patron_id = p.patron_id) order by patron_id limit 1
                """)
            return try await connection.query("select count(*) from ps.patron_circulation_drift").scalar(Int.self)
        }
        #expect(drift == 1)
    }
}
