import Foundation
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@Suite("What deleting a patron type would touch")
struct PatronTypeImpactTests {
    @Test("the impact counts the type's patrons' outstanding bills, their balance and the balance per currency, and shows none as zero")
    func outstandingBillsOfTheType() async throws {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!
        let (used, unused) = try await fixture.asAdmin { c async throws -> (Int64, Int64) in
            let used = try await c.query("""
                insert into ps.patron_type (institution_id, code, description) values (\(rpl), 'IMPACT', 'Impact test') returning patron_type_id
                """).scalar(Int64.self)
            let unused = try await c.query("""
                insert into ps.patron_type (institution_id, code, description) values (\(rpl), 'UNUSED', 'No patrons') returning patron_type_id
                """).scalar(Int64.self)
            let patrons = try await c.query("select patron_id from ps.patron where institution_id = \(rpl) order by patron_id limit 2")
                .rows.map { try $0.decode("patron_id", as: Int64.self) }
            try await c.query("update ps.patron set patron_type_id = \(used) where patron_id = any(\(patrons))")
            try await c.query("delete from ps.bill where patron_id = any(\(patrons))")
            try await c.query("""
                insert into ps.bill (institution_id, patron_id, kind, amount_minor, paid_minor, posted_at, state)
                values (\(rpl), \(patrons[0]), 'other', 100, 0, now(), 'outstanding'), (\(rpl), \(patrons[0]), 'other', 300, 50, now(), 'outstanding'),
                       (\(rpl), \(patrons[1]), 'other', 400, 0, now(), 'outstanding'), (\(rpl), \(patrons[1]), 'other', 900, 900, now(), 'paid')
                """)
            return (used, unused)
        }
        let impacts = try await fixture.asService(institution: "RPL", role: "library_admin") { c async throws in
            [try await c.query(PatronQueries.patronTypeImpact(used)).scalar(String.self),
             try await c.query(PatronQueries.patronTypeImpact(unused)).scalar(String.self)]
        }
        let figures = try impacts.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(figures[0]["patrons"] as? Int == 2)
        #expect(figures[0]["outstandingBills"] as? Int == 3)
        #expect(figures[0]["outstandingMinor"] as? Int == 750)
        #expect(figures[0]["outstandingByCurrency"] as? [String: Int] == ["USD": 750])
        #expect(figures[1]["patrons"] as? Int == 0)
        #expect(figures[1]["outstandingBills"] as? Int == 0)
        #expect(figures[1]["outstandingMinor"] as? Int == 0)
        #expect(figures[1]["outstandingByCurrency"] as? [String: Int] == [:])
    }
}
