import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import HummingbirdTesting
import PatronServicesTesting
import Postgres
import Testing

@testable import PatronServicesHTTP

/// Riverside's ADULT patron type with a policy, and a membership policy an admin created through the API.
struct MembershipFixture {
    let fixture: DemoFixture
    let adult: Int64
    let branch: Int64
    let admin: String
    let staff: String
    let supervisor: String

    static func make() async throws -> MembershipFixture {
        let fixture = try await DemoFixture.make()
        let adult = try await fixture.adminScalar("select patron_type_id from ps.patron_type where institution_id = \(fixture.institutions["RPL"]!) and code = 'ADULT'", as: Int64.self)
        return MembershipFixture(fixture: fixture, adult: adult, branch: fixture.branches["RPL-MAIN"]!,
            admin: fixture.tokens["RPL/library_admin"]!, staff: fixture.tokens["RPL/circulation_staff"]!,
            supervisor: fixture.tokens["RPL/circulation_supervisor"]!)
    }

    /// Creates the "Annual" membership policy and puts it on the ADULT patron type policy.
    func requireMembership(_ client: any TestClientProtocol, fee: Int = 1500, reminderDays: String = "30") async throws -> Int {
        let response = try await client.call(.post, "/staff/v1/membership-policies", token: admin,
            json: #"{"name":"Annual","feeMinor":\#(fee),"billReason":"Annual membership","periodDays":365,"reminderDays":\#(reminderDays)}"#)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        let policy = try #require(response.object["membershipPolicyId"] as? Int)
        try await setMembershipPolicy(client, "\(policy)")
        return policy
    }

    func setMembershipPolicy(_ client: any TestClientProtocol, _ value: String) async throws {
        let response = try await client.call(.put, "/staff/v1/patron-type-policies/\(adult)", token: admin, json: #"{"membershipPolicyId":\#(value)}"#)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
    }

    /// Registers a new ADULT patron through the API and returns its id.
    func register(_ client: any TestClientProtocol, _ barcode: String) async throws -> Int {
        let response = try await client.call(.post, "/staff/v1/patrons", token: staff, json: """
            {"barcode":"\(barcode)","registeredBranchId":\(branch),"patronTypeId":\(adult),"firstName":"Ada","lastName":"Reyes",\
            "postalCode":"60601","email":"\(barcode.lowercased())@example.org"}
            """)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try #require(response.object["patronId"] as? Int)
    }

    func memberships(_ client: any TestClientProtocol, _ patron: Int) async throws -> [String: Any] {
        try await client.call(.get, "/staff/v1/patrons/\(patron)/memberships", token: staff).object
    }

    func membershipCondition(_ client: any TestClientProtocol, _ patron: Int) async throws -> [String: Any]? {
        let response = try await client.call(.get, "/staff/v1/patrons/\(patron)/eligibility?branchId=\(branch)", token: staff)
        return response.condition("membership")
    }

    /// An existing demo patron of type ADULT (created before any membership policy: an older record).
    func olderPatron() async throws -> Int {
        try await fixture.adminScalar("select patron_id from ps.patron where patron_type_id = \(adult) order by patron_id limit 1", as: Int.self)
    }
}

@Suite("Memberships: fees, status, and removing a membership policy")
struct MembershipTests {
    @Test("A membership policy has a fee, a bill reason and a period of at least one day; invalid fields answer 422 naming each")
    func membershipPolicyValidation() async throws {
        let m = try await MembershipFixture.make()
        try await withApp(database: m.fixture.database) { client async throws in
            var response = try await client.call(.post, "/staff/v1/membership-policies", token: m.admin,
                json: #"{"name":"Bad","feeMinor":"ten","periodDays":0,"colour":"red"}"#)
            #expect(response.status == .unprocessableContent)
            let fields = Set(try response.problem().errors?.map { "\($0.field):\($0.code)" } ?? [])
            #expect(fields == ["feeMinor:wrong_type", "periodDays:invalid", "colour:unknown_field"])
            response = try await client.call(.post, "/staff/v1/membership-policies", token: m.admin, json: #"{"name":"No period","feeMinor":100}"#)
            #expect(try response.problem().errors?.map(\.field) == ["periodDays"])
            response = try await client.call(.post, "/staff/v1/membership-policies", token: m.staff, json: #"{"name":"Staff","feeMinor":1,"periodDays":1}"#)
            #expect(response.status == .forbidden)
            let policy = try await m.requireMembership(client)
            response = try await client.call(.patch, "/staff/v1/membership-policies/\(policy)", token: m.admin, json: #"{"periodDays":730}"#)
            #expect(response.object["periodDays"] as? Int == 730)
            #expect(response.object["name"] as? String == "Annual")
            response = try await client.call(.post, "/staff/v1/membership-policies", token: m.admin, json: #"{"name":"Annual","feeMinor":1,"periodDays":1}"#)
            #expect(response.status == .conflict, "names are unique per institution")
            // Another institution's policy cannot be read, edited, or attached to this institution's types.
            response = try await client.call(.get, "/staff/v1/membership-policies/\(policy)", token: m.fixture.tokens["LDL/library_admin"]!)
            #expect(response.status == .notFound)
            response = try await client.call(.patch, "/staff/v1/membership-policies/\(policy)", token: m.fixture.tokens["LDL/library_admin"]!,
                json: #"{"feeMinor":1}"#)
            #expect(response.status == .notFound)
            let ldlType = try await m.fixture.adminScalar("select patron_type_id from ps.patron_type where institution_id = \(m.fixture.institutions["LDL"]!) limit 1", as: Int.self)
            response = try await client.call(.put, "/staff/v1/patron-type-policies/\(ldlType)", token: m.fixture.tokens["LDL/library_admin"]!,
                json: #"{"membershipPolicyId":\#(policy)}"#)
            #expect(try response.problem().errors?.map { "\($0.field):\($0.code)" } == ["membershipPolicyId:not_found"])
        }
    }

    @Test("A bill is generated when the patron record is created; paying the bill makes the membership active")
    func billOnCreationAndPayment() async throws {
        let m = try await MembershipFixture.make()
        try await withApp(database: m.fixture.database) { client async throws in
            _ = try await m.requireMembership(client)
            let patron = try await m.register(client, "MEM-0001")
            var status = try await m.memberships(client, patron)
            #expect(status["status"] as? String == "pending")
            let membership = try #require((status["memberships"] as? [[String: Any]])?.first)
            #expect(membership["state"] as? String == "pending")
            let bill = try #require(membership["billId"] as? Int)
            let bills = try await client.call(.get, "/staff/v1/patrons/\(patron)/bills", token: m.staff).object["bills"] as? [[String: Any]]
            #expect(bills?.count == 1)
            #expect(bills?.first?["kind"] as? String == "membership_fee")
            #expect(bills?.first?["reason"] as? String == "Annual membership")
            #expect(bills?.first?["amountMinor"] as? Int == 1500)
            #expect(try await m.membershipCondition(client, patron)?["blocks"] as? Bool == false, "a pending membership is billed, not blocked")
            // A partial payment leaves it pending; the rest makes it active for the policy's period.
            _ = try await client.call(.post, "/staff/v1/bills/\(bill)/payments", token: m.staff, json: #"{"amountMinor":500}"#)
            #expect(try await m.memberships(client, patron)["status"] as? String == "pending")
            _ = try await client.call(.post, "/staff/v1/bills/\(bill)/payments", token: m.staff, json: #"{"amountMinor":1000}"#)
            status = try await m.memberships(client, patron)
            #expect(status["status"] as? String == "active")
            let days = try await m.fixture.adminScalar("select extract(day from ends_at - starts_at)::int from ps.membership where bill_id = \(bill)", as: Int.self)
            #expect(days == 365)
            // Renewing bills again; once paid, the new period starts when the current one ends.
            let renewal = try await client.call(.post, "/staff/v1/patrons/\(patron)/memberships", token: m.staff, json: "{}")
            #expect(renewal.status == .created)
            #expect(renewal.object["state"] as? String == "pending")
            let renewalBill = try #require(renewal.object["billId"] as? Int)
            _ = try await client.call(.post, "/staff/v1/bills/\(renewalBill)/waivers", token: m.staff, json: #"{"amountMinor":1500}"#)
            let all = try await m.memberships(client, patron)["memberships"] as? [[String: Any]]
            #expect(all?.last?["state"] as? String == "active")
            #expect(all?.last?["startsAt"] as? String == all?.first?["endsAt"] as? String)
        }
        // A free membership is active at once, with no bill.
        let free = try await MembershipFixture.make()
        try await withApp(database: free.fixture.database) { client async throws in
            _ = try await free.requireMembership(client, fee: 0)
            let patron = try await free.register(client, "MEM-0002")
            #expect(try await free.memberships(client, patron)["status"] as? String == "active")
            #expect((try await client.call(.get, "/staff/v1/patrons/\(patron)/bills", token: free.staff).object["bills"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("Older records have an unknown membership status; expired or unknown memberships block while a membership policy applies")
    func unknownAndExpiredBlock() async throws {
        let m = try await MembershipFixture.make()
        let older = try await m.olderPatron()
        try await withApp(database: m.fixture.database) { client async throws in
            #expect(try await m.membershipCondition(client, older) == nil, "no membership policy: no membership condition")
            let policy = try await m.requireMembership(client)
            var condition = try #require(try await m.membershipCondition(client, older))
            #expect(condition["detail"] as? String == "unknown")
            #expect(condition["blocks"] as? Bool == true)
            #expect(condition["clearance"] as? String == "override")
            let item = try await m.fixture.adminScalar("insert into ps.item (institution_id, branch_id, barcode) values (\(m.fixture.institutions["RPL"]!), \(m.branch), 'MEM-ITEM') returning barcode", as: String.self)
            let checkout = #"{"patronId":\#(older),"itemBarcode":"\#(item)","branchId":\#(m.branch)}"#
            var response = try await client.call(.post, "/staff/v1/checkouts", token: m.staff, json: checkout)
            #expect(try response.problem().errors?.map(\.field) == ["membership"])
            // An expired membership blocks the same way.
            _ = try await m.fixture.asAdmin { c async throws in
                try await c.query("""
                    insert into ps.membership (institution_id, patron_id, membership_policy_id, state, starts_at, ends_at)
                    values (\(m.fixture.institutions["RPL"]!), \(older), \(policy), 'active', now() - interval '400 days', now() - interval '35 days')
                    """)
            }
            condition = try #require(try await m.membershipCondition(client, older))
            #expect(condition["detail"] as? String == "expired")
            #expect(condition["blocks"] as? Bool == true)
            #expect(try await m.memberships(client, older)["status"] as? String == "expired")
            // You can remove a Membership Policy at any time: patrons with an expired or unknown membership
            // status will no longer be blocked by the system.
            try await m.setMembershipPolicy(client, "null")
            #expect(try await m.membershipCondition(client, older) == nil)
            response = try await client.call(.post, "/staff/v1/checkouts", token: m.staff, json: checkout)
            #expect(response.status == .created, "\(String(buffer: response.body))")
        }
    }

    @Test("Removing a membership policy: active memberships still display; pending membership bills stay and are reported as orphaned until staff cancel them")
    func removingTheMembershipPolicy() async throws {
        let m = try await MembershipFixture.make()
        try await withApp(database: m.fixture.database) { client async throws in
            _ = try await m.requireMembership(client)
            let paid = try await m.register(client, "MEM-0010")
            let unpaid = try await m.register(client, "MEM-0011")
            let paidBill = try #require((try await m.memberships(client, paid)["memberships"] as? [[String: Any]])?.first?["billId"] as? Int)
            _ = try await client.call(.post, "/staff/v1/bills/\(paidBill)/payments", token: m.staff, json: #"{"amountMinor":1500}"#)
            var orphaned = try await client.call(.get, "/staff/v1/reports/orphaned-bills", token: m.fixture.tokens["RPL/report_reader"]!)
            #expect((orphaned.object["bills"] as? [Any])?.isEmpty == true)

            try await m.setMembershipPolicy(client, "null")
            let shown = try await m.memberships(client, paid)
            #expect(shown["status"] as? String == "not_required")
            #expect((shown["memberships"] as? [[String: Any]])?.first?["state"] as? String == "active", "Active memberships will continue to display")

            orphaned = try await client.call(.get, "/staff/v1/reports/orphaned-bills", token: m.fixture.tokens["RPL/report_reader"]!)
            let bills = try #require(orphaned.object["bills"] as? [[String: Any]])
            #expect(bills.count == 1)
            #expect(bills.first?["patronId"] as? Int == unpaid)
            #expect(bills.first?["orphanReason"] as? String == "membership_policy_removed")
            #expect(bills.first?["balanceMinor"] as? Int == 1500)
            let bill = try #require(bills.first?["billId"] as? Int)
            #expect(orphaned.object["pageBalanceMinor"] as? Int == 1500)
            // Other institutions' report readers see none of it.
            let elsewhere = try await client.call(.get, "/staff/v1/reports/orphaned-bills", token: m.fixture.tokens["LDL/report_reader"]!)
            #expect((elsewhere.object["bills"] as? [Any])?.isEmpty == true)

            // Staff cancel pending membership bills by hand: supervisors may, desk staff may not.
            var response = try await client.call(.post, "/staff/v1/bills/\(bill)/cancel", token: m.staff)
            #expect(response.status == .forbidden)
            response = try await client.call(.post, "/staff/v1/bills/\(bill)/cancel", token: m.supervisor)
            #expect(response.object["state"] as? String == "cancelled")
            #expect(response.object["cancelledAt"] != nil)
            response = try await client.call(.post, "/staff/v1/bills/\(bill)/cancel", token: m.supervisor)
            #expect(try response.problem().code == "bill_not_outstanding")
            #expect(((try await m.memberships(client, unpaid))["memberships"] as? [[String: Any]])?.first?["state"] as? String == "cancelled")
            orphaned = try await client.call(.get, "/staff/v1/reports/orphaned-bills", token: m.fixture.tokens["RPL/report_reader"]!)
            #expect((orphaned.object["bills"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("A fine belonging to a deleted patron stays outstanding in reports, with the patron shown as N/A")
    func deletedPatronsFine() async throws {
        let m = try await MembershipFixture.make()
        let patron = try await m.olderPatron()
        try await withApp(database: m.fixture.database) { client async throws in
            var response = try await client.call(.post, "/staff/v1/bills", token: m.staff, json: #"{"patronId":\#(patron),"kind":"overdue_fine","amountMinor":275}"#)
            #expect(response.status == .created)
            let bill = try #require(response.object["billId"] as? Int)
            var report = try await client.call(.get, "/staff/v1/reports/outstanding-bills", token: m.fixture.tokens["RPL/report_reader"]!)
            var row = (report.object["bills"] as? [[String: Any]])?.first { $0["billId"] as? Int == bill }
            #expect(row?["patronBarcode"] as? String != "N/A")
            #expect(row?["orphanReason"] is NSNull)
            #expect(try await client.call(.delete, "/staff/v1/patrons/\(patron)", token: m.admin).status == .ok)
            report = try await client.call(.get, "/staff/v1/reports/outstanding-bills", token: m.fixture.tokens["RPL/report_reader"]!)
            row = (report.object["bills"] as? [[String: Any]])?.first { $0["billId"] as? Int == bill }
            #expect(row?["patronBarcode"] as? String == "N/A")
            #expect(row?["patronName"] as? String == "N/A")
            #expect(row?["orphanReason"] as? String == "patron_deleted")
            #expect(row?["balanceMinor"] as? Int == 275)
            let orphaned = try await client.call(.get, "/staff/v1/reports/orphaned-bills?limit=1", token: m.fixture.tokens["RPL/report_reader"]!)
            #expect((orphaned.object["bills"] as? [[String: Any]])?.first?["billId"] as? Int == bill)
            response = try await client.call(.get, "/staff/v1/reports/orphaned-bills?limit=0", token: m.fixture.tokens["RPL/report_reader"]!)
            #expect(try response.problem().code == "invalid_query")
        }
    }

    @Test("Expiry reminders go out a set number of days before, once per membership, to the notification address")
    func expiryReminders() async throws {
        let m = try await MembershipFixture.make()
        try await withApp(database: m.fixture.database) { client async throws in
            _ = try await m.requireMembership(client, fee: 0)
            let soon = try await m.register(client, "MEM-0020")
            _ = try await m.register(client, "MEM-0021")
            let paper = try await m.register(client, "MEM-0022")
            _ = try await m.fixture.asAdmin { c async throws in
                try await c.query("update ps.membership set ends_at = now() + interval '10 days' where patron_id in (\(soon), \(paper))")
                try await c.query("update ps.patron set email = null, address_line1 = '12 Elm St', city = 'Chicago' where patron_id = \(paper)")
            }
            var response = try await client.call(.post, "/staff/v1/membership-reminders", token: m.admin)
            #expect(response.object["queued"] as? Int == 1)
            #expect(response.object["print"] as? Int == 1, "If the patron record has no email addresses, the system will generate a print notification")
            response = try await client.call(.post, "/staff/v1/membership-reminders", token: m.admin)
            #expect(response.object["queued"] as? Int == 0, "once per membership")
            #expect(try await client.call(.post, "/staff/v1/membership-reminders", token: m.staff).status == .forbidden)
            let recipients = try await m.fixture.asAdmin { c async throws in
                try await c.query("select recipients[1] from ps.outbox where kind = 'membership_expiry_reminder' and channel = 'email'").scalar(String.self)
            }
            #expect(recipients == "mem-0020@example.org")
            let printed = try await m.fixture.adminScalar("select ps.notice_context(kind, patron_id, payload)->'address'->>'line1' from ps.outbox where kind = 'membership_expiry_reminder' and channel = 'print' and patron_id = \(paper)", as: String.self)
            #expect(printed == "12 Elm St")
        }
    }

    @Test("the service queues expiry reminders on its own schedule, acting consortium-wide as the system")
    func scheduledReminders() async throws {
        let m = try await MembershipFixture.make()
        try await withApp(database: m.fixture.database) { client async throws in
            _ = try await m.requireMembership(client, fee: 0)
            let soon = try await m.register(client, "MEM-0030")
            _ = try await m.fixture.asAdmin { c async throws in
                try await c.query("update ps.membership set ends_at = now() + interval '3 days' where patron_id = \(soon)")
            }
        }
        let pool = PostgresPool(configuration: .init(connection: m.fixture.database.app, maxConnections: 1))
        let service = NoticeJobService(pool: pool, interval: .seconds(3_600), logger: Logger(label: "test"))
        #expect(try await service.runOnce().decode(JobSummary.self).membershipReminders["queued"] == 1)
        #expect(try await service.runOnce().decode(JobSummary.self).membershipReminders["queued"] == 0, "once per membership")
        await pool.close()
        let queued = try await m.fixture.asAdmin { c async throws in
            try await c.query("select count(*) from ps.outbox where kind = 'membership_expiry_reminder' and 'mem-0030@example.org' = any (recipients)").scalar(Int.self)
        }
        #expect(queued == 1)
    }
}

