import HTTPTypes
import HummingbirdTesting
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@Suite("A library's currency holds its recorded money")
struct LibraryCurrencyTests {
    @Test("a library's currency cannot change once it holds bills or item costs (amounts are never converted): 409 currency_in_use, nothing changed; an unused library's can")
    func currencyIsFixedOnceMoneyIsRecorded() async throws {
        let fixture = try await DemoFixture.make()
        let admin = fixture.tokens["consortium_admin"]!
        let rpl = fixture.institutions["RPL"]!
        try await fixture.asAdmin { connection in
            try await connection.query("""
                insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at, state)
                select institution_id, patron_id, 'other', 500, now(), 'outstanding' from ps.patron where institution_id = \(rpl) limit 1
                """)
        }
        try await withApp(database: fixture.database) { client async throws in
            var response = try await client.call(.patch, "/staff/v1/libraries/\(rpl)", token: admin, json: #"{"currency":"CAD","name":"Renamed"}"#)
            #expect(response.status == .conflict)
            #expect(try response.problem().code == "currency_in_use")
            response = try await client.call(.get, "/staff/v1/libraries/\(rpl)", token: admin)
            #expect(response.object["currency"] as? String == "USD")
            #expect(response.object["name"] as? String != "Renamed", "nothing of the refused change is written")
            // Naming the currency it has is no change.
            response = try await client.call(.patch, "/staff/v1/libraries/\(rpl)", token: fixture.tokens["RPL/library_admin"]!, json: #"{"currency":"USD"}"#)
            #expect(response.status == .ok)

            // A new library with no money recorded may change currency, until an item with a cost arrives.
            response = try await client.call(.post, "/staff/v1/libraries", token: admin,
                json: #"{"code":"NEW","name":"New Library","currency":"USD","timeZone":"America/Denver"}"#)
            let library = try #require(response.object["institutionId"] as? Int)
            response = try await client.call(.patch, "/staff/v1/libraries/\(library)", token: admin, json: #"{"currency":"CAD"}"#)
            #expect(response.status == .ok)
            #expect(response.object["currency"] as? String == "CAD")
            try await fixture.asAdmin { connection in
                try await connection.query("""
                    with b as (insert into ps.branch (institution_id, code, name, time_zone) values (\(library), 'NEW-1', 'Main', 'America/Denver') returning branch_id)
                    insert into ps.item (institution_id, branch_id, barcode, cost_minor) select \(library), branch_id, 'NEW-ITEM-1', 2500 from b
                    """)
            }
            response = try await client.call(.patch, "/staff/v1/libraries/\(library)", token: admin, json: #"{"currency":"EUR"}"#)
            #expect(try response.problem().code == "currency_in_use")
        }
    }
}
