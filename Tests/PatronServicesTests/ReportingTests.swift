import PatronServicesTesting
import Postgres
import Testing

@Suite("SQL reporting: what a report-writing DBA queries directly")
struct ReportingTests {
    @Test("every view and every function in the ps schema carries a comment a DBA can read")
    func everythingIsCommented() async throws {
        let fixture = try await DemoFixture.make()
        let missing = try await fixture.asAdmin { c async throws in
            try await c.query("""
                select coalesce(array_agg(name order by name), '{}') from (
                    select c.oid::regclass::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
                    where n.nspname = 'ps' and c.relkind in ('v', 'r') and obj_description(c.oid, 'pg_class') is null
                    union all
                    select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                    where n.nspname = 'ps' and p.prorettype <> 'trigger'::regtype and obj_description(p.oid, 'pg_proc') is null) x
                """).scalar([String].self)
        }
        #expect(missing == [])
    }

    @Test("Use the Outstanding Fees and Bills Report to identify orphaned bills: as patron_report, one institution, read-only")
    func reportRoleReadsOrphanedBills() async throws {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!, ldl = fixture.institutions["LDL"]!
        let bill = try await fixture.asAdmin { c async throws in
            let patron = try await c.query("select patron_id from ps.patron where institution_id = \(rpl) order by patron_id limit 1").scalar(Int64.self)
            let bill = try await c.query("""
                insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at) values (\(rpl), \(patron), 'overdue_fine', 350, now())
                returning bill_id
                """).scalar(Int64.self)
            _ = try await c.query("update ps.patron set deleted_at = now() where patron_id = \(patron)")
            return bill
        }
        let connection = try await PostgresConnection.connect(fixture.database.superuser)
        defer { Task { await connection.close() } }
        try await connection.execute("set role patron_report")
        func asReportReader(of institution: Int64) async throws -> [PostgresRow] {
            try await connection.query("select set_config('ps.institution_id', \(String(institution)), false), set_config('ps.role', 'report_reader', false)")
            return Array(try await connection.query("select bill_id, patron_barcode, patron_name, orphan_reason, balance_minor from ps.orphaned_bills"))
        }
        let rows = try await asReportReader(of: rpl)
        #expect(rows.count == 1)
        #expect(try rows.first?.decode("bill_id", as: Int64.self) == bill)
        #expect(try rows.first?.decode("patron_name", as: String.self) == "N/A")
        #expect(try rows.first?.decode("orphan_reason", as: String.self) == "patron_deleted")
        #expect(try rows.first?.decode("balance_minor", as: Int64.self) == 350)
        #expect(try await asReportReader(of: ldl).isEmpty)
        let error = await #expect(throws: PostgresError.self) {
            try await connection.query("update ps.bill set state = 'cancelled' where bill_id = \(bill)")
        }
        #expect(error?.sqlState == .insufficientPrivilege)
    }
}
