import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@Suite("A bill keeps the currency it was raised in")
struct BillCurrencyTests {
    @Test("a bill's currency is its owed library's, whatever an insert or update names, and the report and the bill API show it")
    func billCurrencyIsTheLibrarys() async throws {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!
        let currencies = try await fixture.asAdmin { connection in
            let bill = try await connection.query("""
                insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at, currency)
                select institution_id, patron_id, 'other', 500, now(), 'EUR' from ps.patron where institution_id = \(rpl) limit 1
                returning bill_id
                """).scalar(Int64.self)
            let raised = try await connection.query("select currency from ps.bill where bill_id = \(bill)").scalar(String.self)
            try await connection.query("update ps.bill set currency = 'JPY' where bill_id = \(bill)")
            let updated = try await connection.query("select currency from ps.bill where bill_id = \(bill)").scalar(String.self)
            let reported = try await connection.query("select currency from ps.outstanding_bills_report where bill_id = \(bill)").scalar(String.self)
            let api = try await connection.query("select ps.bill_api(b)->>'currency' from ps.bill b where bill_id = \(bill)").scalar(String.self)
            return [raised, updated, reported, api]
        }
        #expect(currencies == ["USD", "USD", "USD", "USD"])
    }
}
