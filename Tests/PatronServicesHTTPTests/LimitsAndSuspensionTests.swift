import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PatronServicesTesting
import Postgres
import Testing

@testable import PatronServicesHTTP

@Suite("Loan limit, accruing fines and suspension settings; suspensions applied and lifted; deleting with impact")
struct LimitsAndSuspensionTests {
    @Test("The Accruing Fines Policy is read with its defaults, saved with every field validated, and only for the caller's institution")
    func accruingFinesPolicy() async throws {
        let fixture = try await DemoFixture.make()
        let admin = fixture.tokens["RPL/library_admin"]!
        try await withApp(database: fixture.database) { client async throws in
            var response = try await client.call(.get, "/staff/v1/accruing-fines-policy", token: fixture.tokens["RPL/report_reader"]!)
            #expect(response.object["configured"] as? Bool == false)
            #expect(response.object["countsTowardBilledLimit"] as? Bool == false, "accruing fines are not included by default")
            response = try await client.call(.put, "/staff/v1/accruing-fines-policy", token: admin,
                json: #"{"dailyFineMinor":-5,"maxFineMinor":"lots","countsTowardBilledLimit":1,"graceDays":2}"#)
            #expect(response.status == .unprocessableContent)
            #expect(Set(try response.problem().errors?.map { "\($0.field):\($0.code)" } ?? []) ==
                ["dailyFineMinor:invalid", "maxFineMinor:wrong_type", "countsTowardBilledLimit:wrong_type", "graceDays:unknown_field"])
            response = try await client.call(.put, "/staff/v1/accruing-fines-policy", token: admin,
                json: #"{"dailyFineMinor":25,"maxFineMinor":500,"countsTowardBilledLimit":true}"#)
            #expect(response.status == .ok)
            response = try await client.call(.put, "/staff/v1/accruing-fines-policy", token: admin, json: #"{"maxFineMinor":null}"#)
            #expect(response.object["dailyFineMinor"] as? Int == 25, "absent fields keep their value")
            #expect(response.object["maxFineMinor"] is NSNull)
            response = try await client.call(.get, "/staff/v1/accruing-fines-policy", token: admin)
            #expect(response.object["configured"] as? Bool == true)
            #expect(response.object["countsTowardBilledLimit"] as? Bool == true)
            let ldl = fixture.institutions["LDL"]!
            response = try await client.call(.put, "/staff/v1/accruing-fines-policy?institutionId=\(ldl)", token: admin, json: #"{"dailyFineMinor":1}"#)
            #expect(response.status == .notFound)
            response = try await client.call(.get, "/staff/v1/accruing-fines-policy?institutionId=\(ldl)", token: admin)
            #expect(response.status == .notFound)
            response = try await client.call(.put, "/staff/v1/accruing-fines-policy", token: fixture.tokens["RPL/circulation_supervisor"]!, json: #"{"dailyFineMinor":1}"#)
            #expect(response.status == .forbidden)
            response = try await client.call(.put, "/staff/v1/accruing-fines-policy?institutionId=\(ldl)", token: fixture.tokens["consortium_admin"]!,
                json: #"{"dailyFineMinor":10}"#)
            #expect(response.object["institutionId"] as? Int == Int(ldl))
        }
    }

    @Test("In circulation groups the loan limit policy follows the item's institution while the patron type policy follows the patron's home institution")
    func loanLimitPolicyFollowsTheLender() async throws {
        let p = try await PolicyFixtureHTTP.make()
        let ldlAdmin = p.fixture.tokens["LDL/library_admin"]!
        try await withApp(database: p.fixture.database) { client async throws in
            var response = try await client.call(.put, "/staff/v1/loan-limit-policies/\(p.type)", token: ldlAdmin, json: #"{"verifiedLoanValueLimitMinor":1000}"#)
            #expect(response.status == .ok, "a group partner sets limits for the home institution's patron type")
            response = try await client.call(.put, "/staff/v1/loan-limit-policies/\(p.type)", token: p.fixture.tokens["MVL/library_admin"]!,
                json: #"{"verifiedLoanValueLimitMinor":1000}"#)
            #expect(response.status == .notFound, "not in a circulation group with Riverside")
            response = try await client.call(.put, "/staff/v1/loan-limit-policies/\(p.type)", token: ldlAdmin, json: #"{"verifiedLoanValueLimitMinor":-1}"#)
            #expect(try response.problem().errors?.first?.field == "verifiedLoanValueLimitMinor")
            response = try await client.call(.get, "/staff/v1/loan-limit-policies", token: ldlAdmin)
            #expect(response.array.first?["patronTypeCode"] as? String == "ADULT")
            try await p.lend(cost: 1500)
            let harbor = p.fixture.branches["LDL-HARBOR"]!
            var value = try await p.condition(client, "max_loan_value", branch: harbor)
            #expect(value?["limitValue"] as? Int == 1000)
            #expect(value?["detail"] as? String == "verified_loan_value_limit")
            #expect(value?["exceeded"] as? Bool == true)
            #expect(value?["policyInstitutionId"] as? Int == Int(p.fixture.institutions["RPL"]!), "the patron type policy is still Riverside's")
            #expect(try await p.condition(client, "max_loan_value", branch: p.branch) == nil, "Riverside itself has no value limit")
            // The most restrictive of the patron type policy's maximum and the Verified Loan Value Limit applies.
            response = try await client.call(.put, "/staff/v1/patron-type-policies/\(p.type)", token: p.admin, json: #"{"maxLoanValueMinor":800}"#)
            value = try await p.condition(client, "max_loan_value", branch: harbor)
            #expect(value?["limitValue"] as? Int == 800)
            #expect(value?["detail"] as? String == "patron_type_policy")
        }
    }

    @Test("Suspensions are applied automatically after a patron returns or renews an overdue item, cumulative and capped by the maximum suspension period")
    func overdueSuspensions() async throws {
        let p = try await PolicyFixtureHTTP.make()
        try await withApp(database: p.fixture.database) { client async throws in
            var response = try await client.call(.put, "/staff/v1/overdue-suspension-policy", token: p.admin, json: #"{"minutesPerDayOverdue":"60"}"#)
            #expect(try response.problem().errors?.first?.code == "wrong_type")
            response = try await client.call(.put, "/staff/v1/overdue-suspension-policy", token: p.admin, json: "{}")
            #expect(try response.problem().errors?.first?.code == "required")
            response = try await client.call(.put, "/staff/v1/overdue-suspension-policy", token: p.admin, json: #"{"minutesPerDayOverdue":60}"#)
            #expect(response.status == .ok)
            let first = try await p.lend(cost: nil, dueDaysAgo: 3)
            let second = try await p.lend(cost: nil, dueDaysAgo: 2)
            response = try await client.call(.post, "/staff/v1/loans/\(first)/check-in", token: p.staff)
            let suspension = try #require(response.object["suspension"] as? [String: Any])
            #expect(suspension["loanId"] as? Int == first)
            #expect(try await p.condition(client, "suspended", branch: p.branch)?["blocks"] as? Bool == true,
                "A suspended patron cannot check out or renew")
            // Renewing the other overdue item needs an override now, and adds a suspension after the first.
            response = try await client.call(.post, "/staff/v1/loans/\(second)/renew", token: p.supervisor, json: #"{"overrideComment":"ok"}"#)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let spans = try await p.fixture.asAdmin { c async throws in
                try await c.query("""
                    select extract(epoch from ends_at - starts_at)::int as minutes, starts_at = lag(ends_at) over (order by starts_at) as chained
                    from ps.suspension where patron_id = \(p.patron) order by starts_at
                    """).map { (try $0.decode("minutes", as: Int.self) / 60, try $0.decode("chained", as: Bool?.self)) }
            }
            #expect(spans.map(\.0) == [180, 120])
            #expect(spans.last?.1 == true, "cumulative: added to the end of the current suspension")
            // Capped by the maximum suspension period; with 0 the patron type is never suspended.
            response = try await client.call(.put, "/staff/v1/patron-type-policies/\(p.type)", token: p.admin, json: #"{"maxSuspensionMinutes":30}"#)
            let third = try await p.lend(cost: nil, dueDaysAgo: 5)
            response = try await client.call(.post, "/staff/v1/loans/\(third)/check-in", token: p.staff)
            let capped = try #require(response.object["suspension"] as? [String: Any])
            #expect(capped["reason"] as? String != nil)
            response = try await client.call(.put, "/staff/v1/patron-type-policies/\(p.type)", token: p.admin, json: #"{"maxSuspensionMinutes":0}"#)
            let fourth = try await p.lend(cost: nil, dueDaysAgo: 5)
            response = try await client.call(.post, "/staff/v1/loans/\(fourth)/check-in", token: p.staff)
            #expect(response.status == .ok)
            #expect(response.object["suspension"] is NSNull)
            let minutes = try await p.fixture.asAdmin { c async throws in
                try await c.query("select array_agg(extract(epoch from ends_at - starts_at)::int / 60 order by starts_at) from ps.suspension where patron_id = \(p.patron)").scalar([Int].self)
            }
            #expect(minutes == [180, 120, 30])
        }
    }

    @Test("Staff suspend a patron through the API up to the maximum period; supervisors lift a suspension and the record stays")
    func suspendAndLift() async throws {
        let p = try await PolicyFixtureHTTP.make()
        try await withApp(database: p.fixture.database) { client async throws in
            var response = try await client.call(.post, "/staff/v1/patrons/\(p.patron)/suspensions", token: p.staff, json: #"{"minutes":"soon"}"#)
            #expect(response.status == .unprocessableContent)
            #expect(try response.problem().errors?.first?.field == "minutes")
            response = try await client.call(.post, "/staff/v1/patrons/\(p.patron)/suspensions", token: p.staff, json: #"{"minutes":0}"#)
            #expect(try response.problem().errors?.first?.field == "minutes")
            response = try await client.call(.put, "/staff/v1/patron-type-policies/\(p.type)", token: p.admin, json: #"{"maxSuspensionMinutes":90}"#)
            response = try await client.call(.post, "/staff/v1/patrons/\(p.patron)/suspensions", token: p.staff, json: #"{"minutes":600,"reason":"damage"}"#)
            #expect(response.status == .created)
            #expect(response.object["cappedAt"] as? Int == 90)
            let suspension = try #require(response.object["suspensionId"] as? Int)
            // A circulation group partner sees the suspension; an institution outside the group does not.
            response = try await client.call(.get, "/staff/v1/patrons/\(p.patron)/suspensions", token: p.fixture.tokens["LDL/circulation_staff"]!)
            #expect(response.array.first?["current"] as? Bool == true)
            response = try await client.call(.get, "/staff/v1/patrons/\(p.patron)/suspensions", token: p.fixture.tokens["MVL/circulation_staff"]!)
            #expect(response.status == .notFound)
            response = try await client.call(.post, "/staff/v1/suspensions/\(suspension)/lift", token: p.staff)
            #expect(response.status == .forbidden)
            response = try await client.call(.post, "/staff/v1/suspensions/\(suspension)/lift", token: p.fixture.tokens["LDL/circulation_supervisor"]!)
            #expect(response.status == .notFound, "only the imposing institution lifts it")
            response = try await client.call(.post, "/staff/v1/suspensions/\(suspension)/lift", token: p.supervisor)
            #expect(response.object["liftedAt"] != nil && !(response.object["liftedAt"] is NSNull))
            #expect(try await p.condition(client, "suspended", branch: p.branch)?["exceeded"] as? Bool == false)
            response = try await client.call(.get, "/staff/v1/patrons/\(p.patron)/suspensions", token: p.staff)
            #expect(response.array.count == 1)
            #expect(response.array.first?["current"] as? Bool == false)
            response = try await client.call(.put, "/staff/v1/patron-type-policies/\(p.type)", token: p.admin, json: #"{"maxSuspensionMinutes":0}"#)
            response = try await client.call(.post, "/staff/v1/patrons/\(p.patron)/suspensions", token: p.staff, json: #"{"minutes":10}"#)
            #expect(try response.problem().code == "never_suspended")
        }
    }

    @Test("Deleting or changing patron types or patron type policies can have an impact on patron accounts: the impact shows first and nothing is lost")
    func deleteWithImpact() async throws {
        let p = try await PolicyFixtureHTTP.make()
        _ = try await p.lend(cost: 700, dueDaysAgo: -7)
        let (patrons, loans) = try await p.fixture.asAdmin { c async throws in
            (try await c.query("select count(*) from ps.patron where patron_type_id = \(p.type) and deleted_at is null").scalar(Int.self),
             try await c.query("select count(*) from ps.loan l join ps.patron x using (patron_id) where x.patron_type_id = \(p.type) and l.state <> 'returned'").scalar(Int.self))
        }
        try await withApp(database: p.fixture.database) { client async throws in
            _ = try await client.call(.put, "/staff/v1/patron-type-policies/\(p.type)", token: p.admin, json: #"{"maxItemsOverdue":4}"#)
            var response = try await client.call(.get, "/staff/v1/patron-types/\(p.type)/impact", token: p.admin)
            #expect(response.object["patrons"] as? Int == patrons)
            #expect(response.object["activeLoans"] as? Int == loans)
            #expect(response.object["hasPolicy"] as? Bool == true)
            #expect(try await client.call(.get, "/staff/v1/patron-types/\(p.type)/impact", token: p.fixture.tokens["LDL/library_admin"]!).status == .notFound)
            response = try await client.call(.delete, "/staff/v1/patron-type-policies/\(p.type)", token: p.admin)
            #expect(response.status == .conflict)
            #expect(try response.problem().code == "confirmation_required")
            #expect(try response.problem().detail.contains("\(patrons) patrons"))
            response = try await client.call(.delete, "/staff/v1/patron-type-policies/\(p.type)?confirm=true", token: p.admin)
            #expect(response.object["policyDeleted"] as? Bool == true)
            #expect((response.object["impact"] as? [String: Any])?["patrons"] as? Int == patrons)
            response = try await client.call(.delete, "/staff/v1/patron-type-policies/\(p.type)?confirm=true", token: p.admin)
            #expect(response.status == .notFound)
            let status = try await client.call(.get, "/staff/v1/patron-type-policies", token: p.admin).array
                .first { $0["patronTypeId"] as? Int == Int(p.type) }
            #expect(status?["status"] as? String == "category_without_policy")
            let history = try await client.call(.get, "/staff/v1/patron-type-policies/\(p.type)/history", token: p.admin).array
            #expect((history.last?["oldValue"] as? [String: Any])?["max_items_overdue"] as? Int == 4, "the deleted policy's values stay in its history")
            #expect(history.last?["newValue"] is NSNull)
            #expect(try await p.fixture.asAdmin { c async throws in
                try await c.query("select count(*) from ps.patron where patron_type_id = \(p.type) and deleted_at is null").scalar(Int.self)
            } == patrons)
        }
    }
}

/// A Riverside ADULT patron with an (empty) patron type policy, for the API tests.
struct PolicyFixtureHTTP {
    let fixture: DemoFixture
    let patron: Int64
    let type: Int64
    let branch: Int64
    var admin: String { fixture.tokens["RPL/library_admin"]! }
    var staff: String { fixture.tokens["RPL/circulation_staff"]! }
    var supervisor: String { fixture.tokens["RPL/circulation_supervisor"]! }

    static func make() async throws -> PolicyFixtureHTTP {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!
        let row = try await fixture.asAdmin { c async throws in
            let row = try await c.query("""
                select p.patron_id, p.patron_type_id from ps.patron p join ps.patron_type t using (patron_type_id)
                where p.institution_id = \(rpl) and t.code = 'ADULT' order by p.patron_id limit 1
                """).single()
            _ = try await c.query("insert into ps.patron_type_policy (institution_id, patron_type_id) values (\(rpl), \(try row.decode("patron_type_id", as: Int64.self)))")
            return row
        }
        return PolicyFixtureHTTP(fixture: fixture, patron: try row.decode("patron_id"), type: try row.decode("patron_type_id"),
            branch: fixture.branches["RPL-MAIN"]!)
    }

    /// A new loan of a new Riverside item to the patron, due `dueDaysAgo` days ago (negative: ahead).
    @discardableResult
    func lend(cost: Int64?, dueDaysAgo: Int = -14) async throws -> Int {
        try await fixture.asAdmin { c async throws in
            try await c.query("""
                with i as (insert into ps.item (institution_id, branch_id, barcode, cost_minor)
                           values (\(fixture.institutions["RPL"]!), \(branch), 'IT' || substr(md5(random()::text), 1, 12), \(cost)) returning institution_id, item_id)
                insert into ps.loan (institution_id, item_id, patron_id, checkout_branch_id, due_at)
                select institution_id, item_id, \(patron), \(branch), now() - make_interval(days => \(dueDaysAgo)) from i returning loan_id
                """).scalar(Int.self)
        }
    }

    func condition(_ client: any TestClientProtocol, _ name: String, branch: Int64) async throws -> [String: Any]? {
        let response = try await client.call(.get, "/staff/v1/patrons/\(patron)/eligibility?branchId=\(branch)",
            token: fixture.tokens["consortium_admin"]!)
        return response.condition(name)
    }
}
