import Foundation
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

/// The desk's lookups read the patrons they name through an index, whatever the consortium's size: the
/// buffers a statement touches (EXPLAIN's count, the same on any machine) stay far below what reading
/// every patron costs.
@Suite("Desk lookups read their patron, not the consortium")
struct DeskLookupTests {
    /// Shared buffers the statement touched (hit or read) on its second run as the service role acting as
    /// `role` of Riverside, and its rows.
    static func buffers(_ fixture: DemoFixture, role: String, _ query: PostgresQuery) async throws -> (buffers: Int, rows: Int) {
        try await fixture.asService(institution: "RPL", role: role) { c async throws in
            let explained = PostgresQuery(unsafeSQL: "explain (analyze, buffers, format json) " + query.sql, binds: query.binds)
            // The second run: the first also loads the new session's catalog caches, which counts too.
            _ = try await c.query(explained)
            let text = try await c.query(explained).scalar(String.self)
            let plans = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
            let plan = try #require(plans.first?["Plan"] as? [String: Any])
            let touched = (plan["Shared Hit Blocks"] as? Int ?? 0) + (plan["Shared Read Blocks"] as? Int ?? 0)
            return (touched, plan["Actual Rows"] as? Int ?? -1)
        }
    }

    @Test("a circulation desk's lookup by barcode, and the staff search by barcode or by name, read through indexes: at 20,000 more patrons each touches a few dozen buffers, where reading every patron touches hundreds")
    func lookupsUseIndexes() async throws {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!
        try await fixture.asAdmin { c async throws in
            try await c.query("""
                insert into ps.patron (institution_id, barcode, registered_branch_id, patron_type_id, first_name, last_name)
                select \(rpl), 'BULK-' || g, (select min(branch_id) from ps.branch where institution_id = \(rpl)),
                       (select min(patron_type_id) from ps.patron_type where institution_id = \(rpl)), 'First', 'Bulk' || g
                from generate_series(1, 20000) g
                """)
            try await c.execute("analyze ps.patron")
        }
        let everyPatron = try await Self.buffers(fixture, role: "circulation_staff", "select count(*) from ps.patron where first_name <> ''")
        #expect(everyPatron.buffers > 200, "reading every patron: \(everyPatron.buffers) buffers")
        let lookups: [(String, String, PostgresQuery)] = [
            ("the desk's lookup by barcode, any case", "circulation_staff", PatronQueries.circulationPatron(barcode: "bulk-12345")),
            ("the staff search by barcode", "library_admin", PatronQueries.patrons(barcode: "BULK-12345", name: nil)),
            ("the staff search by name", "library_admin", PatronQueries.patrons(barcode: nil, name: "Bulk12345")),
            ("the staff search by barcode and name", "library_admin", PatronQueries.patrons(barcode: "BULK-12345", name: "bulk1")),
        ]
        for (label, role, query) in lookups {
            let measured = try await Self.buffers(fixture, role: role, query)
            #expect(measured.rows == 1, "\(label)")
            #expect(measured.buffers < 60, "\(label): \(measured.buffers) buffers (reading every patron: \(everyPatron.buffers))")
        }
        // And they find the patron.
        let found = try await fixture.asService(institution: "RPL", role: "circulation_staff") { c async throws in
            try await c.query(PatronQueries.circulationPatron(barcode: "bulk-12345")).scalar(String.self)
        }
        #expect(found.contains("\"barcode\": \"BULK-12345\""))
        let searched = try await fixture.asService(institution: "RPL", role: "library_admin") { c async throws in
            try await c.query(PatronQueries.patrons(barcode: nil, name: "Bulk12345")).scalar(String.self)
        }
        #expect(searched.contains("\"barcode\": \"BULK-12345\""))
    }
}
