import Foundation
import HTTPTypes
import HummingbirdTesting
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@Suite("A bill report page is written from its rows by the service")
struct ReportPageTests {
    @Test("each bill of a report page is PostgreSQL's own JSON of its row of ps.outstanding_bills_report: names with quotes, backslashes, control characters and letters beyond ASCII, whole-second and fractional times, nulls")
    func pageIsTheViewsJSON() async throws {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!
        try await fixture.asAdmin { connection async throws in
            try await connection.query("""
                update ps.patron set last_name = E'O\\'Brien "the \\\\ Great"\\n\\t\\u0001', first_name = 'Zoë 😀'
                where patron_id = (select min(patron_id) from ps.patron where institution_id = \(rpl))
                """)
            try await connection.query("""
                insert into ps.bill (institution_id, patron_id, kind, reason, amount_minor, posted_at, state)
                select institution_id, patron_id, 'other', reason, 250, posted_at::timestamptz, 'outstanding'
                from (select institution_id, patron_id from ps.patron where institution_id = \(rpl) order by patron_id limit 2) p
                cross join (values (E'a "quoted"\\r\\nreason \\\\ \\b\\f', '2026-01-02 03:04:05+00'), (null, '2026-01-02 03:04:05.5+00')) v (reason, posted_at)
                """)
        }
        let rows = try await fixture.asAdmin { connection in
            try await connection.query("select bill_id, ps.api(to_jsonb(r))::text as api from ps.outstanding_bills_report r where institution_id = \(rpl)")
                .rows.map { (try $0.decode("bill_id", as: Int64.self), try $0.decode("api", as: String.self)) }
        }
        #expect(rows.count >= 4)
        try await withApp(database: fixture.database) { client async throws in
            let response = try await client.call(.get, "/staff/v1/reports/outstanding-bills?limit=5000", token: fixture.tokens["RPL/report_reader"]!)
            #expect(response.status == .ok)
            let bills = try #require(response.object["bills"] as? [[String: Any]])
            #expect(bills.count == rows.count)
            let answered = Dictionary(bills.map { (Int64($0["billId"] as? Int ?? 0), $0) }, uniquingKeysWith: { first, _ in first })
            for (id, text) in rows {
                let row = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                let bill = try #require(answered[id])
                #expect(NSDictionary(dictionary: bill).isEqual(to: row), "bill \(id): \(bill) against the view's \(row)")
            }
            let names = bills.compactMap { $0["patronName"] as? String }
            #expect(names.contains { $0.contains("O'Brien \"the \\ Great\"\n\t\u{01}") && $0.contains("Zoë 😀") }, "\(names)")
            #expect(bills.contains { ($0["reason"] as? String) == "a \"quoted\"\r\nreason \\ \u{08}\u{0C}" })
        }
    }
}
