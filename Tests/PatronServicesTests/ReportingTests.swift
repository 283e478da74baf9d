import Foundation
import PatronServices
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

    /// A posted bill owed to `owed` by the first patron of `library`, who is then deleted: an orphaned bill.
    func orphanedBill(_ fixture: DemoFixture, owedTo owed: Int64, byAPatronOf library: Int64, kind: String, amount: Int) async throws -> Int64 {
        try await fixture.asAdmin { c async throws in
            let patron = try await c.query("select patron_id from ps.patron where institution_id = \(library) order by patron_id limit 1").scalar(Int64.self)
            let bill = try await c.query("""
                insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at) values (\(owed), \(patron), \(kind), \(amount), now())
                returning bill_id
                """).scalar(Int64.self)
            _ = try await c.query("update ps.patron set deleted_at = now() where patron_id = \(patron)")
            return bill
        }
    }

    @Test("Use the Outstanding Fees and Bills Report to identify orphaned bills: a report login sees its own library, read-only, with no setting")
    func reportRoleReadsOrphanedBills() async throws {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!, ldl = fixture.institutions["LDL"]!
        let bill = try await orphanedBill(fixture, owedTo: rpl, byAPatronOf: rpl, kind: "overdue_fine", amount: 350)
        let riverside = try await ReportLogin.create(fixture, institution: rpl)
        let lakeshore = try await ReportLogin.create(fixture, institution: ldl)
        try await riverside.with { connection async throws in
            let rows = Array(try await connection.query("select bill_id, patron_barcode, patron_name, orphan_reason, balance_minor from ps.orphaned_bills"))
            #expect(rows.count == 1)
            #expect(try rows.first?.decode("bill_id", as: Int64.self) == bill)
            #expect(try rows.first?.decode("patron_name", as: String.self) == "N/A")
            #expect(try rows.first?.decode("orphan_reason", as: String.self) == "patron_deleted")
            #expect(try rows.first?.decode("balance_minor", as: Int64.self) == 350)
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("update ps.bill set state = 'cancelled' where bill_id = \(bill)")
            }
            #expect(error?.sqlState == .insufficientPrivilege)
        }
        try await lakeshore.with { connection async throws in
            #expect(try await connection.query("select count(*) from ps.orphaned_bills").scalar(Int.self) == 0)
        }
    }

    @Test("a bill owed to a library by a deleted patron of a partner library is orphaned in the owed library's report, and only there")
    func orphanedByAPartnersDeletedPatron() async throws {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!, ldl = fixture.institutions["LDL"]!
        let bill = try await orphanedBill(fixture, owedTo: rpl, byAPatronOf: ldl, kind: "lost_item", amount: 2500)
        try await ReportLogin.create(fixture, institution: rpl).with { connection async throws in
            let rows = Array(try await connection.query("select bill_id, patron_name, orphan_reason from ps.orphaned_bills where bill_id = \(bill)"))
            #expect(rows.count == 1)
            #expect(try rows.first?.decode("patron_name", as: String.self) == "N/A")
            #expect(try rows.first?.decode("orphan_reason", as: String.self) == "patron_deleted")
        }
        try await ReportLogin.create(fixture, institution: ldl).with { connection async throws in
            #expect(try await connection.query("select count(*) from ps.orphaned_bills where bill_id = \(bill)").scalar(Int.self) == 0)
        }
    }

    /// The report reads a patron the caller may see directly, and any other through ps.bill_patron: both
    /// ways must show a bill's patron alike, and the second must not show a patron of a bill the caller cannot see.
    @Test("a bill's patron shows the same in the outstanding bills report whether the caller may see the patron or not: the library's own patron, a partner library's, and to a consortium administrator")
    func billPatronShownAlike() async throws {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!, ldl = fixture.institutions["LDL"]!
        let columns = "bill_id, patron_id, patron_barcode, patron_name, patron_institution_id, orphan_reason"
        let (bills, expected) = try await fixture.asAdmin { c async throws -> ([Int64], [[String?]]) in
            var bills: [Int64] = []
            for library in [rpl, ldl] {
                let patron = try await c.query("select patron_id from ps.patron where institution_id = \(library) order by patron_id desc limit 1").scalar(Int64.self)
                bills.append(try await c.query("""
                    insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at) values (\(rpl), \(patron), 'other', 125, now())
                    returning bill_id
                    """).scalar(Int64.self))
            }
            let expected = try await c.query("""
                select b.bill_id::text, p.patron_id::text, p.barcode, p.last_name || ', ' || p.first_name, p.institution_id::text, null::text
                from ps.bill b join ps.patron p using (patron_id) where b.bill_id = any(\(bills)::bigint[]) order by b.bill_id
                """).rows.map { row in try (0..<6).map { try row.decode(String?.self, at: $0) } }
            return (bills, expected)
        }
        func rows(_ connection: PostgresConnection) async throws -> [[String?]] {
            try await connection.query("""
                select \(unescaped: columns) from ps.outstanding_bills_report where bill_id = any(\(bills)::bigint[]) order by bill_id
                """).rows.map { row in try (0..<6).map { try row.decode(String?.self, at: $0) } }
        }
        #expect(expected.count == 2 && expected[1][4] == String(ldl), "the second bill is owed by a partner library's patron")
        try await ReportLogin.create(fixture, institution: rpl).with { connection async throws in
            #expect(try await rows(connection) == expected)
        }
        try await fixture.asService(institution: "RPL", role: "library_admin") { connection async throws in
            #expect(try await rows(connection) == expected, "library_admin")
        }
        try await fixture.asService(institution: nil) { connection async throws in
            try await connection.execute("select set_config('ps.role', 'consortium_admin', true)")
            #expect(try await rows(connection) == expected, "consortium_admin")
        }
        // Lakeshore's staff may see their patron, not Riverside's bill: no row, through either way.
        try await fixture.asService(institution: "LDL", role: "library_admin") { connection async throws in
            #expect(try await rows(connection).isEmpty)
            #expect(try await connection.query("select count(*) from ps.bill_patron(\(bills[1]))").scalar(Int.self) == 0)
        }
    }

    @Test("a report login cannot choose its library or role with a setting, nor read a PIN hash or token hash")
    func reportLoginCannotEscape() async throws {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!, ldl = fixture.institutions["LDL"]!
        let login = try await ReportLogin.create(fixture, institution: rpl)
        let outstanding = try await fixture.asAdmin { connection in
            try await connection.query("""
                insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at)
                select institution_id, patron_id, 'other', 250, now() from ps.patron where institution_id = \(rpl) limit 1
                """)
            return try await connection.query("select count(*) from ps.bill where institution_id = \(rpl) and state = 'outstanding'").scalar(Int.self)
        }
        #expect(outstanding > 0)
        try await login.with { connection async throws in
            let own = try await connection.query("select count(*) from ps.patron").scalar(Int.self)
            #expect(own > 0)
            // Its own library's outstanding bills, each in the library's currency, and no other library's.
            #expect(try await connection.query("select count(*) from ps.outstanding_bills_report").scalar(Int.self) == outstanding)
            #expect(try await connection.query(
                "select count(*) from ps.outstanding_bills_report r join ps.library l using (institution_id) where r.institution_id = \(rpl) and r.currency = l.currency"
            ).scalar(Int.self) == outstanding)
            #expect(try await connection.query("select count(*) from ps.patron where institution_id <> \(rpl)").scalar(Int.self) == 0)
            // The probes of the issue: pose as another library, then as a consortium admin.
            try await connection.query("select set_config('ps.institution_id', \(String(ldl)), false), set_config('ps.role', 'consortium_admin', false)")
            #expect(try await connection.query("select count(*) from ps.patron").scalar(Int.self) == own)
            #expect(try await connection.query("select count(*) from ps.patron where institution_id = \(ldl)").scalar(Int.self) == 0)
            #expect(try await connection.query("select count(*) from ps.orphaned_bills where institution_id = \(ldl)").scalar(Int.self) == 0)
            // Security definer functions do not take the setting either.
            #expect(try await connection.query("select count(*) from ps.circulation_patron").scalar(Int.self) == 0)
            for secret in ["select pin_hash from ps.patron limit 1", "select token_hash from ps.staff_token limit 1",
                           "select key_hash from ps.pac_client limit 1", "select token_hash from ps.patron_session limit 1"] {
                let error = await #expect(throws: PostgresError.self) { try await connection.query(PostgresQuery(unsafeSQL: secret)) }
                #expect(error?.sqlState == .insufficientPrivilege, "\(secret)")
            }
        }
    }

    @Test("a report login cannot take the advisory locks that imports, patron sign-ins and currency changes wait on; the service and the owner can")
    func reportLoginCannotTakeAdvisoryLocks() async throws {
        let fixture = try await DemoFixture.make()
        let login = try await ReportLogin.create(fixture, institution: fixture.institutions["RPL"]!)
        try await login.with { connection in
            for call in ["select pg_advisory_xact_lock(hashtextextended('ps.currency:1', 0))", "select pg_advisory_lock(1)",
                         "select pg_try_advisory_lock_shared(1, 2)", "select pg_try_advisory_xact_lock(1)"] {
                let error = await #expect(throws: PostgresError.self) { try await connection.query(PostgresQuery(unsafeSQL: call)) }
                #expect(error?.sqlState == .insufficientPrivilege, "\(call)")
            }
        }
        for role in [fixture.database.app, fixture.database.owner] {
            let taken = try await PostgresConnection.with(role) { connection in
                try await connection.query("select pg_try_advisory_xact_lock(1)").scalar(Bool.self)
            }
            #expect(taken)
        }
    }

    @Test("a report login's session left idle inside a transaction is ended after 10 minutes by default, or the minutes given (1 to 1440)")
    func reportLoginIdleInTransactionLimit() async throws {
        let fixture = try await DemoFixture.make()
        let login = try await ReportLogin.create(fixture, institution: fixture.institutions["RPL"]!)
        try await login.with { connection in
            let limit = try await connection.query("show idle_in_transaction_session_timeout").scalar(String.self)
            #expect(limit == "10min")
        }
        let bootstrap = DatabaseBootstrap(superuser: TestDatabase.cluster.configuration())
        let name = "report_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        _ = try await bootstrap.createReportLogin(name: String(name), institution: fixture.institutions["RPL"]!,
                                                  database: fixture.database.name, idleInTransactionMinutes: 90)
        let limit = try await PostgresConnection.with(fixture.database.superuser.user(String(name))) { connection in
            try await connection.query("show idle_in_transaction_session_timeout").scalar(String.self)
        }
        #expect(limit == "90min")
        await #expect(throws: ReportLoginError.self) {
            _ = try await bootstrap.createReportLogin(name: "report_never", institution: fixture.institutions["RPL"]!,
                                                      database: fixture.database.name, idleInTransactionMinutes: 0)
        }
    }

    @Test("patron_report itself cannot log in: report writers use their own logins")
    func groupRoleCannotLogIn() async throws {
        let fixture = try await DemoFixture.make()
        let error = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(fixture.database.superuser.user("patron_report"))
        }
        #expect(error?.kind == .connectionFailed)
    }
}

/// A report login made for one test: a unique name (roles are cluster-wide), dropped afterwards.
struct ReportLogin {
    let name: String
    let password: String
    let fixture: DemoFixture

    static func create(_ fixture: DemoFixture, institution: Int64) async throws -> ReportLogin {
        let name = "report_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let password = try await DatabaseBootstrap(superuser: TestDatabase.cluster.configuration())
            .createReportLogin(name: String(name), institution: institution, database: fixture.database.name)
        return ReportLogin(name: String(name), password: password, fixture: fixture)
    }

    /// Connects as the login (the embedded cluster trusts local logins; the password is for real servers).
    func with(_ body: (PostgresConnection) async throws -> Void) async throws {
        try await PostgresConnection.with(fixture.database.superuser.user(name), body)
    }
}
