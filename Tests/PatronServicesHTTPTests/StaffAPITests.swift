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

@Suite("Staff API: authentication, roles, isolation, validation")
struct StaffAPITests {
    @Test("authentication failure modes: no token, unknown token, revoked token, expired token, wrong role")
    func authenticationFailures() async throws {
        let fixture = try await DemoFixture.make()
        let revoked = try await fixture.asAdmin { connection in
            let row = try await connection.query("select * from ps.create_staff_token('library_admin', \(fixture.institutions["RPL"]!), 'x', null, 'test')").single()
            try await connection.query("select ps.revoke_staff_token(\(try row.decode("token_id", as: Int64.self)))")
            return try row.decode("token", as: String.self)
        }
        let expired = try await fixture.asAdmin { connection in
            // Tokens are issued to expire in the future; this one's time has since passed.
            let row = try await connection.query("select * from ps.create_staff_token('library_admin', \(fixture.institutions["RPL"]!), 'x', null, 'test')").single()
            try await connection.query("update ps.staff_token set expires_at = now() - interval '1 second' where token_id = \(try row.decode("token_id", as: Int64.self))")
            return try row.decode("token", as: String.self)
        }
        try await withApp(database: fixture.database) { client async throws in
            try await client.execute(uri: "/staff/v1/libraries", method: .get) { response throws in
                #expect(response.status == .unauthorized)
                #expect(try response.problem().code == "unauthenticated")
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
            }
            for token in ["pst_nonsense", revoked, expired] {
                let response = try await client.call(.get, "/staff/v1/libraries", token: token)
                #expect(response.status == .unauthorized)
                #expect(try response.problem().code == "unauthenticated")
            }
            let response = try await client.call(.get, "/staff/v1/tokens", token: fixture.tokens["RPL/circulation_staff"]!)
            #expect(response.status == .forbidden)
            #expect(try response.problem().code == "role_not_allowed")
            // Blanks around the token are not part of it; a header of blanks carries no token.
            let admin = fixture.tokens["RPL/library_admin"]!
            try await client.execute(uri: "/staff/v1/libraries", method: .get, headers: [.authorization: "bearer \t \(admin) \t"]) { response throws in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/staff/v1/libraries", method: .get, headers: [.authorization: "Bearer \t  "]) { response throws in
                #expect(response.status == .unauthorized)
                #expect(try response.problem().code == "unauthenticated")
            }
        }
    }

    @Test("for every staff route that takes an id, another institution's id answers 404 with nothing leaked")
    func otherInstitutionsIdsAreNotFound() async throws {
        let fixture = try await DemoFixture.make()
        let ids = try await fixture.asAdmin { connection -> [String: Int64] in
            let ldl = fixture.institutions["LDL"]!
            return [
                "patron": try await connection.query("select patron_id from ps.patron where institution_id = \(ldl) limit 1").scalar(Int64.self),
                "type": try await connection.query("select patron_type_id from ps.patron_type where institution_id = \(ldl) limit 1").scalar(Int64.self),
                "token": try await connection.query("select token_id from ps.staff_token where institution_id = \(ldl) limit 1").scalar(Int64.self),
                "client": try await connection.query("select client_id from ps.create_pac_client(\(fixture.branches["LDL-HARBOR"]!), 'x', 'test', null)").scalar(Int64.self),
                "membershipPolicy": try await connection.query("insert into ps.membership_policy (institution_id, name, fee_minor, period_days) values (\(ldl), 'Lakeshore annual', 100, 365) returning membership_policy_id").scalar(Int64.self),
                "bill": try await connection.query("insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at) select institution_id, patron_id, 'other', 100, now() from ps.patron where institution_id = \(ldl) limit 1 returning bill_id").scalar(Int64.self),
                "suspension": try await connection.query("insert into ps.suspension (institution_id, patron_id, starts_at, ends_at, created_by) select institution_id, patron_id, now(), now() + interval '1 day', 'test' from ps.patron where institution_id = \(ldl) limit 1 returning suspension_id").scalar(Int64.self),
                // Outside Riverside's circulation groups (Lakeshore shares one with it).
                "mvlPatron": try await connection.query("select patron_id from ps.patron where institution_id = \(fixture.institutions["MVL"]!) limit 1").scalar(Int64.self),
                "mvlType": try await connection.query("select patron_type_id from ps.patron_type where institution_id = \(fixture.institutions["MVL"]!) limit 1").scalar(Int64.self),
                "item": try await connection.query("insert into ps.item (institution_id, branch_id, barcode, title) values (\(ldl), \(fixture.branches["LDL-HARBOR"]!), 'LDL-ITEM-1', 'Harbor tides') returning item_id").scalar(Int64.self),
                "notificationPolicy": try await connection.query("insert into ps.notification_policy (institution_id, kind, name) values (\(ldl), 'bill', 'Lakeshore bills') returning notification_policy_id").scalar(Int64.self),
                "template": try await connection.query("insert into ps.notice_template (institution_id, kind, subject, body_text) values (\(ldl), 'bill_notice', 'Lakeshore', 'Harbor') returning template_id").scalar(Int64.self),
                "notice": try await connection.query("insert into ps.outbox (institution_id, kind, patron_id, branch_id, recipients, payload) select institution_id, 'bill_notice', patron_id, registered_branch_id, array['x@example.org'], '{}' from ps.patron where institution_id = \(ldl) limit 1 returning message_id").scalar(Int64.self),
            ]
        }
        let ldl = fixture.institutions["LDL"]!, harbor = fixture.branches["LDL-HARBOR"]!
        let probes: [(HTTPRequest.Method, String, String?)] = [
            (.get, "/staff/v1/libraries/\(ldl)", nil),
            (.patch, "/staff/v1/libraries/\(ldl)", #"{"name":"Taken over"}"#),
            (.get, "/staff/v1/branches/\(harbor)", nil),
            (.patch, "/staff/v1/branches/\(harbor)", #"{"name":"Taken over"}"#),
            (.get, "/staff/v1/settings/branches/\(harbor)", nil),
            (.get, "/staff/v1/patrons/\(ids["patron"]!)", nil),
            (.patch, "/staff/v1/patrons/\(ids["patron"]!)", #"{"firstName":"Mallory"}"#),
            (.delete, "/staff/v1/patron-types/\(ids["type"]!)", nil),
            (.delete, "/staff/v1/tokens/\(ids["token"]!)", nil),
            (.delete, "/staff/v1/pac-clients/\(ids["client"]!)", nil),
            (.delete, "/staff/v1/patrons/\(ids["patron"]!)", nil),
            (.get, "/staff/v1/patrons/\(ids["patron"]!)/change-history", nil),
            (.get, "/staff/v1/patron-types/\(ids["type"]!)/impact", nil),
            (.delete, "/staff/v1/patron-type-policies/\(ids["type"]!)?confirm=true", nil),
            (.get, "/staff/v1/membership-policies/\(ids["membershipPolicy"]!)", nil),
            (.patch, "/staff/v1/membership-policies/\(ids["membershipPolicy"]!)", #"{"feeMinor":1}"#),
            (.get, "/staff/v1/patrons/\(ids["patron"]!)/memberships", nil),
            (.post, "/staff/v1/patrons/\(ids["patron"]!)/memberships", "{}"),
            (.get, "/staff/v1/patrons/\(ids["mvlPatron"]!)/suspensions", nil),
            (.post, "/staff/v1/patrons/\(ids["patron"]!)/suspensions", #"{"minutes":5}"#),
            (.post, "/staff/v1/suspensions/\(ids["suspension"]!)/lift", nil),
            (.post, "/staff/v1/bills/\(ids["bill"]!)/cancel", nil),
            (.post, "/staff/v1/bills/\(ids["bill"]!)/payments", #"{"amountMinor":1}"#),
            (.put, "/staff/v1/loan-limit-policies/\(ids["mvlType"]!)", #"{"verifiedLoanValueLimitMinor":1}"#),
            (.get, "/staff/v1/patrons/\(ids["patron"]!)/bills", nil),
            (.get, "/staff/v1/items/\(ids["item"]!)", nil),
            (.patch, "/staff/v1/items/\(ids["item"]!)", #"{"title":"Taken over"}"#),
            (.delete, "/staff/v1/items/\(ids["item"]!)", nil),
            (.get, "/staff/v1/notification-policies/\(ids["notificationPolicy"]!)", nil),
            (.patch, "/staff/v1/notification-policies/\(ids["notificationPolicy"]!)", #"{"name":"Taken over"}"#),
            (.delete, "/staff/v1/notification-policies/\(ids["notificationPolicy"]!)", nil),
            (.get, "/staff/v1/notice-templates/\(ids["template"]!)", nil),
            (.put, "/staff/v1/notice-templates/\(ids["template"]!)", #"{"subject":"Taken over","bodyText":"x"}"#),
            (.delete, "/staff/v1/notice-templates/\(ids["template"]!)", nil),
            (.post, "/staff/v1/notice-templates/\(ids["template"]!)/preview", #"{"patronId":\#(ids["patron"]!)}"#),
            (.get, "/staff/v1/patrons/\(ids["patron"]!)/notices", nil),
            (.post, "/staff/v1/patrons/\(ids["patron"]!)/contact", nil),
            (.post, "/staff/v1/notices/\(ids["notice"]!)/resend", nil),
            (.get, "/staff/v1/print-notices?branchId=\(harbor)&date=2026-01-01", nil),
            (.post, "/staff/v1/print-notices/printed", #"{"branchId":\#(harbor),"date":"2026-01-01"}"#),
        ]
        try await withApp(database: fixture.database) { client async throws in
            for (method, uri, body) in probes {
                let response = try await client.call(method, uri, token: fixture.tokens["RPL/library_admin"]!, json: body)
                #expect(response.status == .notFound, "\(method) \(uri)")
                let text = String(buffer: response.body)
                #expect(!text.contains("Lakeshore") && !text.contains("Harbor"), "\(method) \(uri) leaks")
            }
        }
        // Nothing was changed behind the 404s.
        try await fixture.asAdmin { connection async throws in
            #expect(try await connection.query("select name from ps.library where institution_id = \(ldl)").scalar(String.self) == "Lakeshore District Library")
            #expect(try await connection.query("select count(*) from ps.patron where first_name = 'Mallory'").scalar(Int.self) == 0)
            #expect(try await connection.query("select revoked_at is null from ps.staff_token where token_id = \(ids["token"]!)").scalar(Bool.self))
            #expect(try await connection.query("select state = 'outstanding' and paid_minor = 0 from ps.bill where bill_id = \(ids["bill"]!)").scalar(Bool.self))
            #expect(try await connection.query("select lifted_at is null from ps.suspension where suspension_id = \(ids["suspension"]!)").scalar(Bool.self))
            #expect(try await connection.query("select fee_minor from ps.membership_policy where membership_policy_id = \(ids["membershipPolicy"]!)").scalar(Int.self) == 100)
            #expect(try await connection.query("select count(*) from ps.membership").scalar(Int.self) == 0)
            #expect(try await connection.query("select count(*) from ps.suspension").scalar(Int.self) == 1)
            #expect(try await connection.query("select count(*) from ps.loan_limit_policy").scalar(Int.self) == 0)
            #expect(try await connection.query("select title from ps.item where item_id = \(ids["item"]!)").scalar(String.self) == "Harbor tides")
            #expect(try await connection.query("select name from ps.notification_policy where notification_policy_id = \(ids["notificationPolicy"]!)").scalar(String.self) == "Lakeshore bills")
            #expect(try await connection.query("select subject from ps.notice_template where template_id = \(ids["template"]!)").scalar(String.self) == "Lakeshore")
            #expect(try await connection.query("select count(*) from ps.outbox").scalar(Int.self) == 1, "no resend, no Contact patron")
            #expect(try await connection.query("select count(*) from ps.patron_type_policy_change").scalar(Int.self) == 0)
        }
    }

    @Test("registering a patron validates every field: unknown postal code, malformed e-mail, barcode taken")
    func patronValidation() async throws {
        let fixture = try await DemoFixture.make()
        let (branch, type, takenElsewhere) = try await fixture.asAdmin { connection in
            (fixture.branches["RPL-MAIN"]!,
             try await connection.query("select patron_type_id from ps.patron_type where institution_id = \(fixture.institutions["RPL"]!) limit 1").scalar(Int64.self),
             try await connection.query("select barcode from ps.patron where institution_id = \(fixture.institutions["MVL"]!) limit 1").scalar(String.self))
        }
        let token = fixture.tokens["RPL/circulation_staff"]!
        @Sendable func patron(_ barcode: String, postal: String = "60601", email: String = "new@example.org") -> String {
            #"{"barcode":"\#(barcode)","registeredBranchId":\#(branch),"patronTypeId":\#(type),"firstName":"Nia","lastName":"Okoro","postalCode":"\#(postal)","email":"\#(email)","pin":"4321"}"#
        }
        try await withApp(database: fixture.database) { client async throws in
            var response = try await client.call(.post, "/staff/v1/patrons", token: token, json: patron("NEW-0001", postal: "00000"))
            #expect(response.status == .unprocessableContent)
            #expect(try response.problem().errors?.contains { $0.field == "postalCode" && $0.code == "postal_code_not_found" } == true)
            response = try await client.call(.post, "/staff/v1/patrons", token: token, json: patron("NEW-0001", email: "not-an-address"))
            #expect(response.status == .unprocessableContent)
            #expect(try response.problem().errors?.contains { $0.field == "email" && $0.code == "invalid_email" } == true)
            response = try await client.call(.post, "/staff/v1/patrons", token: token, json: patron(takenElsewhere))
            #expect(response.status == .conflict)
            #expect(try response.problem().code == "barcode_taken")
            response = try await client.call(.post, "/staff/v1/patrons", token: token, json: patron("NEW-0001"))
            #expect(response.status == .created, "\(String(buffer: response.body))")
            #expect(response.object["barcode"] as? String == "NEW-0001")
            #expect(response.object["pinHash"] == nil)
            response = try await client.call(.post, "/staff/v1/patrons", token: token, json: patron("new-0001"))
            #expect(response.status == .conflict)
            response = try await client.call(.post, "/staff/v1/patrons", token: token, json: #"{"barcode":"#)
            #expect(response.status == .badRequest)
            #expect(try response.problem().code == "malformed_json")
            response = try await client.call(.post, "/staff/v1/patrons", token: token, json: #"{"barcode": 12}"#)
            #expect(response.status == .unprocessableContent)
            #expect(try response.problem().errors?.first?.field == "barcode")
        }
        let stored = try await fixture.asAdmin { connection in
            try await connection.query("select pin_hash from ps.patron where barcode = 'NEW-0001'").scalar(String.self)
        }
        #expect(stored.hasPrefix("$2a$10$") && !stored.contains("4321"))
        // Deleting keeps the record (for loans and bills) but it no longer signs in or shows up.
        try await withApp(database: fixture.database) { client async throws in
            let id = try await fixture.asAdmin { c async throws in try await c.query("select patron_id from ps.patron where barcode = 'NEW-0001'").scalar(Int64.self) }
            #expect(try await client.call(.delete, "/staff/v1/patrons/\(id)", token: fixture.tokens["RPL/library_admin"]!).status == .ok)
            #expect(try await client.call(.get, "/staff/v1/patrons/\(id)", token: token).status == .notFound)
        }
        #expect(try await fixture.adminScalar("select deleted_at is not null and pin_hash is null from ps.patron where barcode = 'NEW-0001'", as: Bool.self))
    }

    @Test("a consortium admin builds the organisation: library, branches in a time zone, circulation group, patron types, postal codes")
    func organisationCRUD() async throws {
        let fixture = try await DemoFixture.make()
        let admin = fixture.tokens["consortium_admin"]!
        try await withApp(database: fixture.database) { client async throws in
            var response = try await client.call(.post, "/staff/v1/libraries", token: admin,
                json: #"{"code":"SVL","name":"Summit Valley Library","currency":"USD","timeZone":"America/Denver"}"#)
            #expect(response.status == .created)
            let library = try #require(response.object["institutionId"] as? Int)
            response = try await client.call(.post, "/staff/v1/libraries", token: admin,
                json: #"{"code":"BAD","name":"Bad","currency":"usd","timeZone":"Mars/Olympus"}"#)
            #expect(response.status == .unprocessableContent)
            #expect(Set(try response.problem().errors?.map(\.field) ?? []).isSubset(of: ["currency", "timeZone"]))
            response = try await client.call(.post, "/staff/v1/branches", token: admin,
                json: #"{"institutionId":\#(library),"code":"SVL-1","name":"Summit One","timeZone":"America/Denver","staffEmail":"desk@svl.example.org"}"#)
            #expect(response.status == .created)
            let branch = try #require(response.object["branchId"] as? Int)
            response = try await client.call(.post, "/staff/v1/circulation-groups", token: admin, json: #"{"name":"Summit Group"}"#)
            let group = try #require(response.object["groupId"] as? Int)
            response = try await client.call(.put, "/staff/v1/circulation-groups/\(group)/members/\(library)", token: admin)
            #expect(response.status == .ok)
            response = try await client.call(.put, "/staff/v1/circulation-groups/\(group)/members/999999", token: admin)
            #expect(response.status == .notFound)
            response = try await client.call(.post, "/staff/v1/patron-types", token: admin, json: #"{"institutionId":\#(library),"code":"ADULT","description":"Adult"}"#)
            #expect(response.status == .created)
            let type = try #require(response.object["patronTypeId"] as? Int)
            response = try await client.call(.post, "/staff/v1/patron-types", token: admin, json: #"{"institutionId":\#(library),"code":"adult"}"#)
            #expect(response.status == .conflict)
            response = try await client.call(.delete, "/staff/v1/patron-types/\(type)", token: admin)
            #expect(try response.problem().code == "confirmation_required", "deleting shows its impact first")
            response = try await client.call(.delete, "/staff/v1/patron-types/\(type)?confirm=true", token: admin)
            #expect(response.object["deletedAt"] != nil && !(response.object["deletedAt"] is NSNull))
            response = try await client.call(.post, "/staff/v1/postal-codes", token: admin, json: #"{"postalCode":"80443","city":"Frisco","state":"CO","county":"Summit"}"#)
            #expect(response.status == .created)
            response = try await client.call(.get, "/staff/v1/postal-codes?postalCode=80443", token: admin)
            #expect(response.array.count == 1)
            let postal = try #require(response.array.first?["postalCodeId"] as? Int)
            #expect(try await client.call(.delete, "/staff/v1/postal-codes/\(postal)", token: admin).status == .ok)
            #expect(try await client.call(.get, "/staff/v1/postal-codes?postalCode=80443", token: admin).array.isEmpty)
            let doomed = try #require(try await client.call(.post, "/staff/v1/circulation-groups", token: admin, json: #"{"name":"Doomed"}"#).object["groupId"] as? Int)
            #expect(try await client.call(.delete, "/staff/v1/circulation-groups/\(doomed)", token: admin).status == .ok)
            #expect(try await client.call(.delete, "/staff/v1/circulation-groups/\(doomed)", token: admin).status == .notFound)
            // Organisations are deleted only when nothing refers to them.
            response = try await client.call(.delete, "/staff/v1/branches/\(fixture.branches["RPL-EAST"]!)", token: admin)
            #expect(try response.problem().code == "branch_in_use")
            let spare = try #require(try await client.call(.post, "/staff/v1/branches", token: admin,
                json: #"{"institutionId":\#(library),"code":"SVL-9","name":"Spare","timeZone":"America/Denver"}"#).object["branchId"] as? Int)
            response = try await client.call(.delete, "/staff/v1/libraries/\(library)", token: admin)
            #expect(try response.problem().code == "library_in_use")
            #expect(try await client.call(.delete, "/staff/v1/branches/\(spare)", token: fixture.tokens["RPL/library_admin"]!).status == .notFound)
            #expect(try await client.call(.delete, "/staff/v1/branches/\(spare)", token: admin).status == .ok)
            // A library admin of another institution cannot add branches to this library.
            response = try await client.call(.post, "/staff/v1/branches", token: fixture.tokens["RPL/library_admin"]!,
                json: #"{"institutionId":\#(library),"code":"SVL-2","name":"Sneaky","timeZone":"America/Denver"}"#)
            #expect(response.status.code >= 400 && response.status.code < 500)
            // Moving a branch with no patrons records the move.
            response = try await client.call(.post, "/staff/v1/branches/\(branch)/move", token: admin, json: #"{"institutionId":\#(fixture.institutions["MVL"]!)}"#)
            #expect(response.status == .ok)
            #expect(response.object["institutionId"] as? Int == Int(fixture.institutions["MVL"]!))
            // A branch with patrons is not moved silently.
            response = try await client.call(.post, "/staff/v1/branches/\(fixture.branches["RPL-EAST"]!)/move", token: admin, json: #"{"institutionId":\#(library)}"#)
            #expect(response.status == .conflict)
            #expect(try response.problem().code == "branch_has_patrons")
        }
        let moves = try await fixture.asAdmin { connection in try await connection.query("select count(*) from ps.branch_move").scalar(Int.self) }
        #expect(moves == 1)
    }

    @Test("admins issue, list and revoke tokens; a library admin only for its own institution and never consortium-wide")
    func tokenAdministration() async throws {
        let fixture = try await DemoFixture.make()
        let libraryAdmin = fixture.tokens["RPL/library_admin"]!
        try await withApp(database: fixture.database) { client async throws in
            var response = try await client.call(.post, "/staff/v1/tokens", token: libraryAdmin,
                json: #"{"role":"circulation_staff","institutionId":\#(fixture.institutions["RPL"]!),"label":"desk 3"}"#)
            #expect(response.status == .created)
            let issued = try #require(response.object["token"] as? String)
            let id = try #require(response.object["tokenId"] as? Int)
            response = try await client.call(.get, "/staff/v1/patrons?name=A", token: issued)
            #expect(response.status == .ok)
            response = try await client.call(.get, "/staff/v1/tokens", token: libraryAdmin)
            #expect(response.array.contains { $0["tokenId"] as? Int == id })
            #expect(!String(buffer: response.body).contains(issued))
            response = try await client.call(.post, "/staff/v1/tokens", token: libraryAdmin, json: #"{"role":"consortium_admin"}"#)
            #expect(response.status == .forbidden)
            response = try await client.call(.post, "/staff/v1/tokens", token: libraryAdmin,
                json: #"{"role":"circulation_staff","institutionId":\#(fixture.institutions["LDL"]!)}"#)
            #expect(response.status == .forbidden)
            response = try await client.call(.post, "/staff/v1/tokens", token: libraryAdmin, json: #"{"role":"wizard"}"#)
            #expect(response.status == .unprocessableContent)
            response = try await client.call(.delete, "/staff/v1/tokens/\(id)", token: libraryAdmin)
            #expect(response.status == .ok)
            response = try await client.call(.get, "/staff/v1/patrons?name=A", token: issued)
            #expect(response.status == .unauthorized)
        }
        let hashes = try await fixture.asAdmin { connection in
            try await connection.query("select count(*) from ps.staff_token where encode(token_hash, 'escape') like 'pst_%'").scalar(Int.self)
        }
        #expect(hashes == 0)
    }
}
