import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PatronServicesTesting
import Postgres
import Testing

@testable import PatronServicesHTTP

@Suite("Patron type policy rules stated in the WMS document, through the staff API")
struct PolicyRulesTests {
    @Test("Patron types need to be added to the Institution Borrower Categories screen before you can create a policy")
    func categoryFirst() async throws {
        let p = try await PolicyFixtureHTTP.make()
        try await withApp(database: p.fixture.database) { client async throws in
            var response = try await client.call(.put, "/staff/v1/patron-type-policies/999999", token: p.admin, json: #"{"maxItemsOverdue":1}"#)
            #expect(response.status == .notFound)
            response = try await client.call(.post, "/staff/v1/patron-types", token: p.admin, json: #"{"code":"VISITOR"}"#)
            let visitor = try #require(response.object["patronTypeId"] as? Int)
            response = try await client.call(.put, "/staff/v1/patron-type-policies/\(visitor)", token: p.admin, json: #"{"maxItemsOverdue":1}"#)
            #expect(response.status == .ok, "once the category exists the policy can be created")
            _ = try await client.call(.delete, "/staff/v1/patron-types/\(visitor)?confirm=true", token: p.admin)
            response = try await client.call(.put, "/staff/v1/patron-type-policies/\(visitor)", token: p.admin, json: #"{"maxItemsOverdue":2}"#)
            #expect(try response.problem().code == "patron_type_deleted")
        }
    }

    @Test("Claimed lost is not the same as items that are lost according to long overdue policies")
    func claimedLostIsNotLongOverdueLost() async throws {
        let p = try await PolicyFixtureHTTP.make()
        let longOverdue = try await p.lend(cost: 2500, dueDaysAgo: 120)
        try await p.fixture.asAdmin { c async throws in
            // The long overdue policy bills the item as lost; the patron has claimed nothing.
            _ = try await c.query("""
                insert into ps.bill (institution_id, patron_id, loan_id, kind, amount_minor, posted_at)
                select institution_id, patron_id, loan_id, 'lost_item', 2500, now() from ps.loan where loan_id = \(longOverdue)
                """)
        }
        try await withApp(database: p.fixture.database) { client async throws in
            _ = try await client.call(.put, "/staff/v1/patron-type-policies/\(p.type)", token: p.admin, json: #"{"maxClaimedLost":0}"#)
            #expect(try await p.condition(client, "max_claimed_lost", branch: p.branch)?["currentValue"] as? Int == 0)
            #expect(try await client.call(.put, "/staff/v1/loans/\(longOverdue)/claim", token: p.staff, json: #"{"claim":"claimed_lost"}"#).status == .ok)
            let claimed = try await p.condition(client, "max_claimed_lost", branch: p.branch)
            #expect(claimed?["currentValue"] as? Int == 1)
            #expect(claimed?["exceeded"] as? Bool == true)
        }
    }

    @Test("WorldShare Circulation does not allow individual patrons to opt-out of email notices when the patron has a valid email address on record")
    func noIndividualOptOutOfEmail() async throws {
        let p = try await PolicyFixtureHTTP.make()
        try await p.fixture.asAdmin { c async throws in
            _ = try await c.query("""
                update ps.patron set email = 'reader@example.org', notification_method = 'mail', exclude_almost_overdue_auto_renew = true,
                    exclude_patron_rec_expiration = true, exclude_inactive_patron = true
                where patron_id = \(p.patron)
                """)
        }
        try await withApp(database: p.fixture.database) { client async throws in
            let response = try await client.call(.get, "/staff/v1/patrons/\(p.patron)/contact-options", token: p.staff)
            let notification = try #require(response.object["notification"] as? [String: Any])
            #expect(notification["channel"] as? String == "email")
            #expect(notification["address"] as? String == "reader@example.org")
        }
    }

    @Test("Once an Account Overview template is assigned, the patron type includes the Account Overview option when staff contact the patron")
    func accountOverviewOption() async throws {
        let p = try await PolicyFixtureHTTP.make()
        try await withApp(database: p.fixture.database) { client async throws in
            var response = try await client.call(.get, "/staff/v1/patrons/\(p.patron)/contact-options", token: p.staff)
            #expect(response.object["accountOverview"] is NSNull, "no template, no option")
            response = try await client.call(.post, "/staff/v1/notice-templates", token: p.admin,
                json: #"{"kind":"account_overview","name":"Summer overview","subject":"Your account","bodyText":"{{account.openLoans}} on loan"}"#)
            #expect(response.status == .created)
            let template = try #require(response.object["templateId"] as? Int)
            response = try await client.call(.put, "/staff/v1/patron-type-policies/\(p.type)", token: p.admin,
                json: #"{"accountOverviewTemplateId":\#(template),"replyToFirst":"patron_type","replyToSecond":"branch"}"#)
            #expect(response.status == .ok)
            // The patron type has no address configured: the second choice, the branch's, answers.
            response = try await client.call(.get, "/staff/v1/patrons/\(p.patron)/contact-options", token: p.staff)
            var overview = try #require(response.object["accountOverview"] as? [String: Any])
            #expect(overview["template"] as? String == "Summer overview")
            #expect(overview["replyToChoice"] as? String == "branch")
            let branchEmail = try await p.fixture.adminScalar("select b.staff_email from ps.patron x join ps.branch b on b.branch_id = x.registered_branch_id where x.patron_id = \(p.patron)", as: String.self)
            #expect(overview["replyTo"] as? String == branchEmail, "the patron's registered branch's address")
            response = try await client.call(.patch, "/staff/v1/patron-types/\(p.type)", token: p.admin, json: #"{"replyToEmail":"adults@riverside.example.org"}"#)
            #expect(response.status == .ok)
            response = try await client.call(.patch, "/staff/v1/patron-types/\(p.type)", token: p.admin, json: #"{"replyToEmail":"not an address"}"#)
            #expect(response.status == .unprocessableContent)
            response = try await client.call(.get, "/staff/v1/patrons/\(p.patron)/contact-options", token: p.staff)
            overview = try #require(response.object["accountOverview"] as? [String: Any])
            #expect(overview["replyToChoice"] as? String == "patron_type")
            #expect(overview["replyTo"] as? String == "adults@riverside.example.org")
            response = try await client.call(.get, "/staff/v1/patrons/\(p.patron)/contact-options", token: p.fixture.tokens["MVL/circulation_staff"]!)
            #expect(response.status == .notFound)
        }
    }
}
