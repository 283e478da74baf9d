import Foundation
import PatronServicesTesting
import Postgres
import Testing

/// A Riverside patron with a policy, items and loans arranged as the owner acting as consortium admin.
struct PolicyFixture {
    let fixture: DemoFixture
    let patron: Int64
    let type: Int64
    let rpl: Int64
    let branch: Int64

    static func make(policy: String = "max_items_overdue => 1") async throws -> PolicyFixture {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!
        let row = try await fixture.asAdmin { c async throws in
            try await c.query("select patron_id, patron_type_id, registered_branch_id from ps.patron where institution_id = \(rpl) order by patron_id limit 1").single()
        }
        let made = PolicyFixture(fixture: fixture, patron: try row.decode("patron_id"), type: try row.decode("patron_type_id"), rpl: rpl,
            branch: try row.decode("registered_branch_id"))
        try await made.admin("insert into ps.patron_type_policy (institution_id, patron_type_id) values (\(rpl), \(made.type))")
        return made
    }

    func admin(_ sql: PostgresQuery) async throws {
        try await fixture.asAdmin { c async throws in _ = try await c.query(sql) }
    }

    /// An active loan of a new item of Riverside, due `dueDaysAgo` days ago (negative: in the future).
    func lend(cost: Int64?, dueDaysAgo: Int, state: String = "active") async throws {
        try await admin("""
            with i as (insert into ps.item (institution_id, branch_id, barcode, cost_minor)
                       values (\(rpl), \(branch), 'IT' || substr(md5(random()::text), 1, 12), \(cost)) returning institution_id, item_id)
            insert into ps.loan (institution_id, item_id, patron_id, checkout_branch_id, due_at, state)
            select institution_id, item_id, \(patron), \(branch), now() - make_interval(days => \(dueDaysAgo)), \(state) from i
            """)
    }

    func conditions(at branchCode: String? = nil, action: String = "checkout") async throws -> [String: PostgresRow] {
        let branch = branchCode.map { fixture.branches[$0]! } ?? self.branch
        return try await fixture.asService(institution: "RPL", role: "circulation_staff") { c async throws in
            var byName: [String: PostgresRow] = [:]
            for row in try await c.query("select * from ps.eligibility(\(patron), \(branch), \(action))") {
                byName[try row.decode("condition", as: String.self)] = row
            }
            return byName
        }
    }
}

@Suite("Patron type policy limits at checkout and renewal")
struct EligibilityTests {
    @Test("When patrons exceed the limits set in the policy, the system displays an alert message when staff check out an item")
    func exceededLimitIsAnAlert() async throws {
        let p = try await PolicyFixture.make()
        try await p.admin("update ps.patron_type_policy set max_items_overdue = 1 where patron_type_id = \(p.type)")
        try await p.lend(cost: 1000, dueDaysAgo: 3)
        #expect(try await p.conditions()["max_items_overdue"]?.decode("exceeded", as: Bool.self) == false)
        try await p.lend(cost: 1000, dueDaysAgo: 2)
        let overdue = try #require(try await p.conditions()["max_items_overdue"])
        #expect(try overdue.decode("current_value", as: Int64.self) == 2)
        #expect(try overdue.decode("exceeded", as: Bool.self))
        #expect(try overdue.decode("blocks", as: Bool.self))
        #expect(try overdue.decode("clearance", as: String.self) == "override")
        #expect(try overdue.decode("policy_institution_id", as: Int64.self) == p.rpl)
    }

    @Test("If you do not want a field to apply, click No Limit: a null limit is not evaluated")
    func noLimit() async throws {
        let p = try await PolicyFixture.make()
        try await p.lend(cost: 1000, dueDaysAgo: 30)
        let conditions = try await p.conditions()
        #expect(conditions["max_items_overdue"] == nil)
        #expect(conditions["max_days_overdue"] == nil)
    }

    @Test("If the amount entered here differs from the Verified Loan Value Limit in the Loan Limit Policy, then the most restrictive amount is applied; an item with no cost does not add to the value")
    func mostRestrictiveValueLimit() async throws {
        let p = try await PolicyFixture.make()
        try await p.admin("update ps.patron_type_policy set max_loan_value_minor = 5000 where patron_type_id = \(p.type)")
        try await p.admin("insert into ps.loan_limit_policy values (\(p.rpl), \(p.type), 3000)")
        try await p.lend(cost: 2500, dueDaysAgo: -10)
        try await p.lend(cost: nil, dueDaysAgo: -10)
        try await p.lend(cost: 1000, dueDaysAgo: -10)
        let value = try #require(try await p.conditions()["max_loan_value"])
        #expect(try value.decode("limit_value", as: Int64.self) == 3000)
        #expect(try value.decode("current_value", as: Int64.self) == 3500)
        #expect(try value.decode("exceeded", as: Bool.self))
    }

    @Test("This applies to bills that have been posted to the patron account. Accruing fees and fines are not included by default")
    func postedVersusAccruing() async throws {
        let p = try await PolicyFixture.make()
        try await p.admin("update ps.patron_type_policy set max_outstanding_billed_minor = 1000 where patron_type_id = \(p.type)")
        try await p.admin("insert into ps.accruing_fines_policy values (\(p.rpl), 50, null, false)")
        try await p.admin("insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at) values (\(p.rpl), \(p.patron), 'other', 600, now())")
        try await p.admin("insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at) values (\(p.rpl), \(p.patron), 'other', 900, null)")
        try await p.lend(cost: nil, dueDaysAgo: 10)  // accrues 10 × 50 = 500
        var billed = try #require(try await p.conditions()["max_outstanding_billed"])
        #expect(try billed.decode("current_value", as: Int64.self) == 600)
        #expect(try billed.decode("exceeded", as: Bool.self) == false)
        try await p.admin("update ps.accruing_fines_policy set counts_toward_billed_limit = true where institution_id = \(p.rpl)")
        billed = try #require(try await p.conditions()["max_outstanding_billed"])
        #expect(try billed.decode("current_value", as: Int64.self) == 1100)
        #expect(try billed.decode("exceeded", as: Bool.self))
    }

    @Test("For Circulation groups: Patron Type Policy is controlled by the patron's home institution")
    func homeInstitutionPolicyInGroup() async throws {
        let p = try await PolicyFixture.make()
        try await p.admin("update ps.patron_type_policy set max_items_overdue = 0 where patron_type_id = \(p.type)")
        try await p.lend(cost: nil, dueDaysAgo: 1)
        let atLakeshore = try #require(try await p.conditions(at: "LDL-HARBOR")["max_items_overdue"])
        #expect(try atLakeshore.decode("policy_institution_id", as: Int64.self) == p.rpl)
        #expect(try atLakeshore.decode("exceeded", as: Bool.self))
        await #expect(throws: PostgresError.self) { _ = try await p.conditions(at: "MVL-CENTRAL") }
    }

    @Test("Block renewal when limit is exceeded, cleared: exceeded limits are alerts staff acknowledge, and block neither checkout nor renewal")
    func blockRenewalOff() async throws {
        let p = try await PolicyFixture.make()
        try await p.admin("update ps.patron_type_policy set max_items_overdue = 0, block_renewal_when_exceeded = false where patron_type_id = \(p.type)")
        try await p.lend(cost: nil, dueDaysAgo: 1)
        for action in ["checkout", "renewal"] {
            let overdue = try #require(try await p.conditions(action: action)["max_items_overdue"])
            #expect(try overdue.decode("exceeded", as: Bool.self))
            #expect(try overdue.decode("blocks", as: Bool.self) == false)
            #expect(try overdue.decode("clearance", as: String.self) == "acknowledge")
        }
    }

    @Test("a Verify Patron block is a condition that blocks checkout until staff resolve it")
    func verifyPatronBlockBlocks() async throws {
        let p = try await PolicyFixture.make()
        #expect(try await p.conditions()["verify_patron_block"]?.decode("blocks", as: Bool.self) == false)
        try await p.admin("insert into ps.patron_block (institution_id, patron_id, kind, created_by) values (\(p.rpl), \(p.patron), 'verify_patron', 'test')")
        #expect(try await p.conditions()["verify_patron_block"]?.decode("blocks", as: Bool.self) == true)
    }

    @Test("maximum number of days overdue is counted in calendar days of the branch's time zone")
    func daysOverdueInBranchTimeZone() async throws {
        let p = try await PolicyFixture.make()
        try await p.admin("update ps.patron_type_policy set max_days_overdue = 2 where patron_type_id = \(p.type)")
        try await p.lend(cost: nil, dueDaysAgo: 3)
        let days = try #require(try await p.conditions()["max_days_overdue"])
        #expect(try days.decode("current_value", as: Int64.self) == 3)
        #expect(try days.decode("exceeded", as: Bool.self))
    }

    @Test("Status: none, category without policy, policy whose category was deleted; Last Modified and history kept by the database")
    func policyStatusAndHistory() async throws {
        let p = try await PolicyFixture.make()
        try await p.admin("update ps.patron_type_policy set max_claimed_lost = 2 where patron_type_id = \(p.type)")
        let statuses = try await p.fixture.asService(institution: "RPL", role: "library_admin") { c async throws in
            try await c.query("select patron_type_id, status from ps.patron_type_policy_status").reduce(into: [Int64: String]()) {
                $0[try $1.decode("patron_type_id")] = try $1.decode("status")
            }
        }
        #expect(statuses[p.type] == "none")
        #expect(statuses.values.filter { $0 == "category_without_policy" }.count == 3)
        try await p.admin("update ps.patron_type set deleted_at = now() where patron_type_id = \(p.type)")
        let after = try await p.fixture.asService(institution: "RPL", role: "library_admin") { c async throws in
            try await c.query("select status from ps.patron_type_policy_status where patron_type_id = \(p.type)").scalar(String.self)
        }
        #expect(after == "policy_without_category")
        let history = try await p.fixture.adminScalar("select count(*) from ps.patron_type_policy_change where patron_type_id = \(p.type)", as: Int.self)
        #expect(history == 2)
    }

    @Test("Second choice reply-to address: only required if Use the address configured by patron type is selected")
    func secondReplyToRequired() async throws {
        let p = try await PolicyFixture.make()
        await #expect(throws: PostgresError.self) {
            try await p.admin("update ps.patron_type_policy set reply_to_first = 'patron_type' where patron_type_id = \(p.type)")
        }
        try await p.admin("update ps.patron_type_policy set reply_to_first = 'patron_type', reply_to_second = 'branch' where patron_type_id = \(p.type)")
        try await p.admin("update ps.patron_type_policy set reply_to_first = 'institution', reply_to_second = null where patron_type_id = \(p.type)")
    }
}

@Suite("Suspensions and notification addresses")
struct SuspensionAndNotificationTests {
    @Test("If a patron type should never be suspended, set the maximum suspension period to 0 minutes; otherwise suspensions are capped and cumulative")
    func suspensionCap() async throws {
        let p = try await PolicyFixture.make()
        try await p.admin("update ps.patron_type_policy set max_suspension_minutes = 0 where patron_type_id = \(p.type)")
        await #expect(throws: PostgresError.self) { try await p.admin("select ps.suspend_patron(\(p.patron), 60, 'late')") }
        try await p.admin("update ps.patron_type_policy set max_suspension_minutes = 30 where patron_type_id = \(p.type)")
        try await p.admin("select ps.suspend_patron(\(p.patron), 60, 'late')")
        try await p.admin("select ps.suspend_patron(\(p.patron), 10, 'late again')")
        let spans = try await p.fixture.asAdmin { c async throws in
            try await c.query("select extract(epoch from ends_at - starts_at)::int as s, starts_at, ends_at from ps.suspension where patron_id = \(p.patron) order by starts_at")
                .map { (try $0.decode("s", as: Int.self), try $0.decode("starts_at", as: Date.self), try $0.decode("ends_at", as: Date.self)) }
        }
        #expect(spans.map(\.0) == [1800, 600])
        #expect(spans[1].1 == spans[0].2, "cumulative: the second starts when the first ends")
        #expect(try await p.conditions()["suspended"]?.decode("blocks", as: Bool.self) == true)
    }

    @Test("patron-supplied e-mail, else the institution-supplied address, else a print notification")
    func notificationAddress() async throws {
        let p = try await PolicyFixture.make()
        func resolve() async throws -> (String, String?) {
            try await p.fixture.asService(institution: "RPL", role: "circulation_staff") { c async throws in
                let row = try await c.query("select * from ps.notification_address(\(p.patron))").single()
                return (try row.decode("channel"), try row.decode("address"))
            }
        }
        try await p.admin("update ps.patron set email = 'me@example.org', alt_email = null, institution_email = 'id42@rpl.example.org' where patron_id = \(p.patron)")
        #expect(try await resolve() == ("email", "me@example.org"))
        try await p.admin("update ps.patron_type_policy set use_patron_supplied_email = false where patron_type_id = \(p.type)")
        #expect(try await resolve() == ("email", "id42@rpl.example.org"))
        try await p.admin("update ps.patron set email = null, institution_email = null where patron_id = \(p.patron)")
        #expect(try await resolve() == ("print", nil))
    }
}
