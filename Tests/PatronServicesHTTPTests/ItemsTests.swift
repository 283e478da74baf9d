import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@Suite("Items: a library's holdings through the staff API")
struct ItemsTests {
    @Test("Maximum value of items on loan … is calculated based on the item cost in the local holding record (LHR) field 876 ‡c: items are created with their cost, and one without a cost adds nothing")
    func itemsCarryTheirCost() async throws {
        let f = try await DemoFixture.make()
        let main = f.branches["RPL-MAIN"]!
        let supervisor = f.tokens["RPL/circulation_supervisor"]!
        try await withApp(database: f.database) { client async throws in
            var response = try await client.call(.post, "/staff/v1/items", token: supervisor,
                json: #"{"barcode": "RPL-0001", "branchId": \#(main), "title": "Costed", "costMinor": 2500}"#)
            #expect(response.status == .created, "\(String(buffer: response.body))")
            let costed = try #require(response.object["itemId"] as? Int)
            #expect(response.object["costMinor"] as? Int == 2500)
            #expect(response.object["status"] as? String == "available")
            #expect(response.object["onLoan"] as? Bool == false)
            response = try await client.call(.post, "/staff/v1/items", token: supervisor, json: #"{"barcode": "RPL-0002", "branchId": \#(main), "title": "Uncosted"}"#)
            #expect(response.status == .created)
            #expect(response.object["costMinor"] is NSNull)
            // The consortium-wide barcode rule, the field rules, the branch rule.
            response = try await client.call(.post, "/staff/v1/items", token: f.tokens["LDL/circulation_supervisor"]!,
                json: #"{"barcode": "RPL-0001", "branchId": \#(f.branches["LDL-HARBOR"]!)}"#)
            #expect(response.status == .conflict)
            #expect(try response.problem().code == "barcode_taken")
            response = try await client.call(.post, "/staff/v1/items", token: supervisor,
                json: #"{"barcode": "no spaces", "branchId": \#(f.branches["LDL-HARBOR"]!), "costMinor": -1, "status": "stolen", "shelf": 3}"#)
            #expect(response.status == .unprocessableContent)
            #expect(Set(try response.problem().errors?.map(\.field) ?? []) == ["barcode", "branchId", "costMinor", "status", "shelf"])
            #expect(try await client.call(.post, "/staff/v1/items", token: f.tokens["RPL/circulation_staff"]!,
                json: #"{"barcode": "RPL-0003", "branchId": \#(main)}"#).status == .forbidden)
            // Listing, paging, lookup by barcode.
            response = try await client.call(.get, "/staff/v1/items?barcode=RPL-0002", token: f.tokens["RPL/report_reader"]!)
            #expect(response.array.map { $0["title"] as? String } == ["Uncosted"])
            response = try await client.call(.get, "/staff/v1/items?limit=1", token: supervisor)
            #expect(response.array.count == 1)
            response = try await client.call(.get, "/staff/v1/items?afterItemId=\(costed)", token: supervisor)
            #expect(response.array.map { $0["barcode"] as? String } == ["RPL-0002"])
            // Withdrawn items cannot be lent; an item with loans is withdrawn, not deleted.
            response = try await client.call(.patch, "/staff/v1/items/\(costed)", token: supervisor, json: #"{"status": "withdrawn"}"#)
            #expect(response.object["status"] as? String == "withdrawn")
            #expect(response.object["costMinor"] as? Int == 2500, "a PATCH keeps what it does not name")
            let patron = try await f.adminScalar("select patron_id from ps.patron where barcode = \(f.credentials.patronBarcode)", as: Int64.self)
            response = try await client.call(.post, "/staff/v1/checkouts", token: supervisor,
                json: #"{"patronId": \#(patron), "itemBarcode": "RPL-0001", "branchId": \#(main)}"#)
            #expect(response.status == .conflict)
            #expect(try response.problem().code == "item_not_available")
            _ = try await client.call(.patch, "/staff/v1/items/\(costed)", token: supervisor, json: #"{"status": "available"}"#)
            try await f.asAdmin { c async throws in
                try await c.query("insert into ps.loan (institution_id, item_id, patron_id, checkout_branch_id, due_at) select institution_id, item_id, \(patron), \(main), now() + interval '7 days' from ps.item where item_id = \(costed)")
            }
            #expect(try await client.call(.get, "/staff/v1/items/\(costed)", token: supervisor).object["onLoan"] as? Bool == true)
            response = try await client.call(.delete, "/staff/v1/items/\(costed)", token: supervisor)
            #expect(response.status == .conflict)
            #expect(try response.problem().code == "item_has_loans")
            let uncosted = try await f.adminScalar("select item_id from ps.item where barcode = 'RPL-0002'", as: Int64.self)
            #expect(try await client.call(.delete, "/staff/v1/items/\(uncosted)", token: supervisor).status == .ok)
            #expect(try await client.call(.get, "/staff/v1/items/\(uncosted)", token: supervisor).status == .notFound)
        }
    }
}
