import Foundation
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@Suite("Row-level security isolates institutions")
struct IsolationTests {
    /// Every table of the ps schema that carries institution_id: new tables are probed automatically.
    func tenantTables(_ fixture: DemoFixture) async throws -> [String] {
        try await fixture.asAdmin { connection async throws in
            try await connection.query("""
                select c.table_name from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
                where c.table_schema = 'ps' and c.column_name = 'institution_id' and t.table_type = 'BASE TABLE' order by 1
                """).map { try $0.decode("table_name", as: String.self) }
        }
    }

    @Test("as the service role with institution A's tenant, no tenant table returns a row of institution B")
    func noRowsOfAnotherInstitution() async throws {
        let fixture = try await DemoFixture.make()
        let tables = try await tenantTables(fixture)
        #expect(tables.contains("patron") && tables.contains("branch") && tables.contains("patron_type"))
        let other = fixture.institutions["LDL"]!
        for role in ["library_admin", "circulation_staff", "report_reader"] {
            try await fixture.asService(institution: "RPL", role: role) { connection async throws in
                for table in tables where !["staff_token", "pac_client", "patron_session"].contains(table) {
                    let leaked = try await connection.query("select count(*) from ps.\(unescaped: table) where institution_id = \(other)").scalar(Int.self)
                    #expect(leaked == 0, "ps.\(table) leaks institution B's rows to \(role)")
                }
            }
        }
    }

    @Test("with no tenant set, no tenant table returns anything")
    func nothingWithoutTenant() async throws {
        let fixture = try await DemoFixture.make()
        try await fixture.asService(institution: nil) { connection async throws in
            for table in try await tenantTables(fixture) where !["staff_token", "pac_client", "patron_session"].contains(table) {
                #expect(try await connection.query("select count(*) from ps.\(unescaped: table)").scalar(Int.self) == 0, "ps.\(table)")
            }
        }
    }

    /// A predicate PostgreSQL cannot inline is a SQL function call for every row a request scans (a report
    /// page's 500 index entries paid 0.6 ms for one). A policy's identity sub-selects are InitPlans ($n),
    /// evaluated once per statement; nothing named ps.* may be left in a per-row filter.
    @Test("every tenant table's row-level security is checked inline: a staff request's per-row filter calls no ps function")
    func policiesInline() async throws {
        let fixture = try await DemoFixture.make()
        for role in ["library_admin", "circulation_staff", "report_reader"] {
            try await fixture.asService(institution: "RPL", role: role) { connection async throws in
                for table in try await tenantTables(fixture) where !["staff_token", "pac_client", "patron_session"].contains(table) {
                    let plan = try await connection.query("explain (verbose) select * from ps.\(unescaped: table)")
                        .map { try $0.decode(String.self, at: 0) }
                    let filters = plan.map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("Filter:") }
                    #expect(!filters.isEmpty, "ps.\(table) has no row-level security filter for \(role)")
                    for filter in filters {
                        #expect(!filter.contains("ps."), "ps.\(table), \(role): \(filter)")
                    }
                }
            }
        }
    }

    @Test("the service role cannot read token, key or session tables at all")
    func secretsUnreadable() async throws {
        let fixture = try await DemoFixture.make()
        for table in ["staff_token", "pac_client", "patron_session", "signin_failure"] {
            try await fixture.asService(institution: "RPL") { connection async throws in
                let error = await #expect(throws: PostgresError.self) { try await connection.query("select * from ps.\(unescaped: table)") }
                #expect(error?.sqlState == .insufficientPrivilege)
            }
        }
    }

    @Test("staff may look up a patron of an institution sharing a circulation group, through the circulation view only, and may not edit them")
    func circulationLookupAcrossGroup() async throws {
        let fixture = try await DemoFixture.make()
        let barcode = try await fixture.asAdmin { connection async throws in
            try await connection.query("select barcode from ps.patron where institution_id = \(fixture.institutions["LDL"]!) limit 1").scalar(String.self)
        }
        try await fixture.asService(institution: "RPL", role: "circulation_staff") { connection async throws in
            let seen = try await connection.query("select institution_id from ps.circulation_patron where barcode = \(barcode)")
            #expect(seen.count == 1)
            #expect(try await connection.query("select count(*) from ps.patron where barcode = \(barcode)").scalar(Int.self) == 0)
            let updated = try await connection.query("update ps.patron set first_name = 'Mallory' where barcode = \(barcode)")
            #expect(updated.affectedRows == 0)
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("update ps.circulation_patron set first_name = 'Mallory' where barcode = \(barcode)")
            }
            #expect(error != nil)
        }
    }

    @Test("staff may not look up a patron of an institution sharing no circulation group")
    func circulationLookupOutsideGroup() async throws {
        let fixture = try await DemoFixture.make()
        let barcode = try await fixture.asAdmin { connection async throws in
            try await connection.query("select barcode from ps.patron where institution_id = \(fixture.institutions["MVL"]!) limit 1").scalar(String.self)
        }
        try await fixture.asService(institution: "RPL", role: "circulation_staff") { connection async throws in
            #expect(try await connection.query("select count(*) from ps.circulation_patron where barcode = \(barcode)").scalar(Int.self) == 0)
        }
    }

    @Test("every view in the schema is security_invoker")
    func viewsAreSecurityInvoker() async throws {
        let fixture = try await DemoFixture.make()
        let offenders = try await fixture.asAdmin { connection async throws in
            try await connection.query("""
                select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = 'ps' and c.relkind = 'v' and not coalesce('security_invoker=true' = any (c.reloptions), false)
                """).map { try $0.decode("relname", as: String.self) }
        }
        #expect(offenders.isEmpty)
    }

    @Test("every tenant table has row-level security enabled and forced")
    func rlsForcedEverywhere() async throws {
        let fixture = try await DemoFixture.make()
        let unprotected = try await fixture.asAdmin { connection async throws in
            try await connection.query("""
                select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = 'ps' and c.relkind = 'r' and not (c.relrowsecurity and c.relforcerowsecurity)
                """).map { try $0.decode("relname", as: String.self) }
        }
        #expect(unprotected.isEmpty)
    }

    @Test("an unknown barcode is compared against a fresh salt at the configured cost, the cost of every real PIN hash, so timing does not reveal barcodes")
    func signInDummyHashMatchesCost() async throws {
        let fixture = try await DemoFixture.make()
        try await fixture.asAdmin { connection async throws in
            let source = try await connection.query("select prosrc from pg_proc where proname = 'patron_sign_in'").scalar(String.self)
            #expect(source.contains("coalesce(v_patron.pin_hash, gen_salt('bf', v_cost))"))
            #expect(source.contains("v_cost integer := (select value from auth_setting where name = 'pin_bcrypt_cost')"))
            let cost = try await connection.query("select value from ps.auth_setting where name = 'pin_bcrypt_cost'").scalar(Int.self)
            let real = try await connection.query("select ps.hash_pin('0000')").scalar(String.self)
            #expect(real.hasPrefix("$2a$\(cost)$"))
        }
    }
}
