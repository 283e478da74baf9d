import Foundation
import Postgres

/// A generated consortium for `bench eligibility`: 20 libraries of 3 branches in pairwise circulation
/// groups, a patron type policy with every limit set (so every condition is evaluated), accruing fines
/// counting toward the billed limit, `patrons` patrons, about two open loans each with a spread of due
/// dates, returned loans up to `loans` in all, claims and bills; plus two marked patrons with exactly
/// 5 and 500 open loans. Built once per size in its own database and reused.
struct BenchConsortium {
    let patrons: Int
    let loans: Int
    static let libraries = 20

    /// Identifiers the load needs: the first library's patron id range, a branch of it, the two marked patrons.
    struct Handles: Sendable {
        var patronRange: ClosedRange<Int64>
        var branch: Int64
        var fiveLoans: Int64
        var fiveHundredLoans: Int64
        var institution: Int64
        /// The first library's ADULT patron type, for registrations.
        var adultType: Int64
    }

    var activeLoans: Int { patrons * 2 }
    var claims: Int { 3_000 }
    var items: Int { activeLoans + claims + 10_000 }
    var bills: Int { patrons * 3 / 2 }

    func build(_ c: PostgresConnection) async throws {
        let perLibrary = patrons / Self.libraries
        try await c.execute("begin; select set_config('ps.role', 'consortium_admin', true), set_config('ps.actor', 'bench', true)")
        try await c.execute("""
            insert into ps.library (code, name, currency, time_zone)
            select format('L%s', lpad(n::text, 2, '0')), format('Library %s', n), 'USD',
                   case when n % 3 = 0 then 'America/Denver' else 'America/Chicago' end
            from generate_series(1, \(Self.libraries)) n;
            insert into ps.branch (institution_id, code, name, time_zone, staff_email)
            select l.institution_id, l.code || '-B' || b, l.name || ' branch ' || b, l.time_zone, 'staff@' || lower(l.code) || '.example.org'
            from ps.library l cross join generate_series(1, 3) b;
            insert into ps.circulation_group (name) select format('Group %s', n) from generate_series(1, \(Self.libraries / 2)) n;
            insert into ps.circulation_group_member (group_id, institution_id)
            select g.group_id, l.institution_id from ps.library l
            join ps.circulation_group g on g.name = format('Group %s', (substr(l.code, 2)::int + 1) / 2);
            insert into ps.patron_type (institution_id, code, description)
            select l.institution_id, t, initcap(t) from ps.library l cross join unnest(array['ADULT', 'JUVENILE', 'SENIOR', 'STAFF']) t;
            insert into ps.patron_type_policy (institution_id, patron_type_id, max_loan_value_minor, max_items_overdue, max_days_overdue,
                max_claimed_lost, max_claimed_returned, max_claimed_never_had, max_outstanding_billed_minor, max_waived_minor)
            select institution_id, patron_type_id, 60000, 10, 30, 3, 3, 3, 5000, 5000 from ps.patron_type;
            insert into ps.loan_limit_policy select institution_id, patron_type_id, 80000 from ps.patron_type;
            insert into ps.accruing_fines_policy select institution_id, 25, 1000, true from ps.library;
            """)
        say("  patrons…")
        try await c.execute("""
            insert into ps.patron (institution_id, barcode, registered_branch_id, patron_type_id, first_name, last_name, postal_code)
            select l.institution_id, format('P%s-%s', l.code, n),
                   (select branch_id from ps.branch b where b.institution_id = l.institution_id order by branch_id offset n % 3 limit 1),
                   (select patron_type_id from ps.patron_type t where t.institution_id = l.institution_id order by patron_type_id offset n % 4 limit 1),
                   'First' || n, 'Last' || n, '60601'
            from ps.library l cross join generate_series(1, \(perLibrary)) n
            order by l.institution_id, n
            """)
        say("  items…")
        try await c.execute("""
            with bb as (select row_number() over (order by branch_id) - 1 as k, branch_id, institution_id from ps.branch)
            insert into ps.item (institution_id, branch_id, barcode, cost_minor)
            select bb.institution_id, bb.branch_id, 'IT' || lpad(n::text, 8, '0'), case when n % 5 = 0 then null else 500 + (n % 50) * 100 end
            from generate_series(1, \(items)) n join bb on bb.k = n % \(Self.libraries * 3)
            """)
        // Patrons of each library are contiguous ids (inserted in order): loans pick a patron of the
        // item's own library by arithmetic, without a join per loan.
        let ranges = """
            pr as (select institution_id, min(patron_id) as lo, count(*) as cnt,
                          row_number() over (order by institution_id) - 1 as k
                   from ps.patron group by institution_id)
            """
        say("  open loans and claims…")
        try await c.execute("""
            with \(ranges), i as (select *, row_number() over (order by item_id) as n from ps.item)
            insert into ps.loan (institution_id, item_id, patron_id, checkout_branch_id, checked_out_at, due_at, state)
            select i.institution_id, i.item_id, pr.lo + (i.n * 7919) % pr.cnt, i.branch_id,
                   now() - make_interval(days => 21 + (i.n % 40)::int), now() + make_interval(days => (i.n % 40)::int - 20),
                   case when i.n <= \(activeLoans) then 'active'
                        else (array['claimed_lost', 'claimed_returned', 'claimed_never_had'])[1 + i.n % 3] end
            from i join pr using (institution_id)
            where i.n <= \(activeLoans + claims)
            """)
        say("  returned loans…")
        try await c.execute("""
            with \(ranges), i as (select *, row_number() over (order by item_id) - 1 as n from ps.item)
            insert into ps.loan (institution_id, item_id, patron_id, checkout_branch_id, checked_out_at, due_at, state, returned_at)
            select i.institution_id, i.item_id, pr.lo + (g * 104729) % pr.cnt, i.branch_id,
                   now() - make_interval(days => 30 + (g % 700)::int), now() - make_interval(days => 9 + (g % 700)::int), 'returned',
                   now() - make_interval(days => 10 + (g % 700)::int)
            from generate_series(1::bigint, \(max(0, loans - activeLoans - claims))) g
            join i on i.n = g % \(items)
            join pr using (institution_id)
            """)
        say("  bills…")
        try await c.execute("""
            with \(ranges)
            insert into ps.bill (institution_id, patron_id, kind, reason, amount_minor, paid_minor, waived_minor, posted_at, state)
            -- The n-th bill of a library goes to patron n × a prime (mod the library's patrons): every patron
            -- is reached before any has two. (g itself, always ≡ the library mod 20, reached one in twenty.)
            select pr.institution_id, pr.lo + ((g / \(Self.libraries)) * 15485863) % pr.cnt, 'overdue_fine', 'Overdue', 100 + g % 900,
                   case when g % 3 = 0 then 100 + g % 900 else 0 end, case when g % 7 = 0 and g % 3 <> 0 then 50 else 0 end,
                   now() - make_interval(days => (g % 365)::int), case when g % 3 = 0 then 'paid' else 'outstanding' end
            from generate_series(1::bigint, \(bills)) g join pr on pr.k = g % \(Self.libraries)
            """)
        say("  the patrons with 5 and 500 open loans…")
        try await c.execute("""
            insert into ps.patron (institution_id, barcode, registered_branch_id, patron_type_id, first_name, last_name)
            select b.institution_id, 'BENCH-' || n, b.branch_id, t.patron_type_id, 'Bench', n::text
            from (values (5), (500)) v (n)
            cross join (select * from ps.branch where code = 'L01-B1') b
            join ps.patron_type t on t.institution_id = b.institution_id and t.code = 'ADULT';
            insert into ps.item (institution_id, branch_id, barcode, cost_minor)
            select institution_id, branch_id, 'BENCH-I' || n, 100 from ps.branch, generate_series(1, 505) n where code = 'L01-B1';
            insert into ps.loan (institution_id, item_id, patron_id, checkout_branch_id, due_at)
            select i.institution_id, i.item_id, p.patron_id, i.branch_id, now() + make_interval(days => (n % 40) - 20)
            from (select *, substr(barcode, 8)::int as n from ps.item where barcode like 'BENCH-I%') i
            join ps.patron p on p.barcode = case when i.n <= 5 then 'BENCH-5' else 'BENCH-500' end;
            commit;
            analyze;
            """)
    }

    func handles(_ c: PostgresConnection) async throws -> Handles {
        try await c.execute("begin; select set_config('ps.role', 'consortium_admin', true)")
        let row = try await c.query("""
            select min(p.patron_id) filter (where p.barcode like 'PL01-%') as lo, max(p.patron_id) filter (where p.barcode like 'PL01-%') as hi,
                   (select branch_id from ps.branch where code = 'L01-B1') as branch,
                   (select patron_id from ps.patron where barcode = 'BENCH-5') as five,
                   (select patron_id from ps.patron where barcode = 'BENCH-500') as five_hundred,
                   (select institution_id from ps.library where code = 'L01') as institution,
                   (select t.patron_type_id from ps.patron_type t join ps.library l using (institution_id)
                    where l.code = 'L01' and t.code = 'ADULT') as adult_type
            from ps.patron p
            """).single()
        try await c.execute("commit")
        return Handles(patronRange: try row.decode("lo")...(try row.decode("hi")), branch: try row.decode("branch"),
            fiveLoans: try row.decode("five"), fiveHundredLoans: try row.decode("five_hundred"), institution: try row.decode("institution"),
            adultType: try row.decode("adult_type"))
    }

    /// Row counts, to print beside the figures.
    func counts(_ c: PostgresConnection) async throws -> (patrons: Int, loans: Int, open: Int, bills: Int) {
        try await c.execute("begin; select set_config('ps.role', 'consortium_admin', true)")
        let row = try await c.query("""
            select (select count(*) from ps.patron) as patrons, (select count(*) from ps.loan) as loans,
                   (select count(*) from ps.loan where state <> 'returned') as open, (select count(*) from ps.bill) as bills
            """).single()
        try await c.execute("commit")
        return (try row.decode("patrons"), try row.decode("loans"), try row.decode("open"), try row.decode("bills"))
    }
}
