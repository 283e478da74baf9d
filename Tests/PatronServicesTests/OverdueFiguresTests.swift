import Foundation
import PatronServicesTesting
import Postgres
import Testing

/// The overdue figures of the eligibility check read the index on (patron, due date) against the instant the
/// branch's day began, and convert a due date only for a fine still growing. These tests hold them to the
/// plain definition: each loan's due date converted to the branch's time zone.
@Suite("Overdue figures in the branch's time zone")
struct OverdueFiguresTests {
    /// Loans due this many days ago (negative: not yet due), around a fine that stops growing on day 7.
    static let dueDaysAgo = [0, 1, 6, 7, 8, 40, 400, 4000, -3]

    @Test("Accruing fines grow by the daily fine up to the maximum, in calendar days of the branch's time zone: the same figures as each loan's due date converted there")
    func overdueFiguresMatchLoanByLoan() async throws {
        let p = try await PolicyFixture.make()
        try await p.admin("""
            update ps.patron_type_policy set max_items_overdue = 1, max_days_overdue = 1, max_outstanding_billed_minor = 1
            where patron_type_id = \(p.type)
            """)
        for days in Self.dueDaysAgo { try await p.lend(cost: nil, dueDaysAgo: days) }
        // Three more checked out together: one due instant, counted three times.
        try await p.admin("""
            with i as (insert into ps.item (institution_id, branch_id, barcode, cost_minor)
                       select \(p.rpl), \(p.branch), 'TOGETHER-' || n, null from generate_series(1, 3) n returning institution_id, item_id)
            insert into ps.loan (institution_id, item_id, patron_id, checkout_branch_id, due_at)
            select institution_id, item_id, \(p.patron), \(p.branch), now() - interval '5 days' from i
            """)
        try await p.admin("insert into ps.accruing_fines_policy values (\(p.rpl), 30, 200, true)")
        var accruedFigures: Set<Int64> = []
        // A fine capped on day 7; one never capped; one capped beyond ten years of days (converted loan by loan).
        for (daily, maximum) in [(30, "200"), (30, "null"), (1, "1000000000000")] {
            try await p.admin("update ps.accruing_fines_policy set daily_fine_minor = \(daily), max_fine_minor = \(unescaped: maximum) where institution_id = \(p.rpl)")
            // The branch's own zone; one that sets its clocks back across midnight; one fourteen hours ahead of UTC.
            for zone in ["America/Chicago", "America/Havana", "Pacific/Kiritimati"] {
                try await p.admin("update ps.branch set time_zone = \(zone) where branch_id = \(p.branch)")
                let expected = try await p.fixture.asAdmin { c async throws in
                    try await c.query("""
                        select count(*) filter (where o.days > 0) as items, coalesce(max(o.days), 0)::bigint as days,
                               coalesce(sum(least(o.days * f.daily_fine_minor, coalesce(f.max_fine_minor, o.days * f.daily_fine_minor))), 0)::bigint as fines
                        from (select greatest(0, (now() at time zone b.time_zone)::date - (l.due_at at time zone b.time_zone)::date) as days
                              from ps.loan l, ps.branch b where l.patron_id = \(p.patron) and l.state = 'active' and b.branch_id = \(p.branch)) o,
                             ps.accruing_fines_policy f where f.institution_id = \(p.rpl)
                        """).single()
                }
                let conditions = try await p.conditions()
                let items: Int64 = try expected.decode("items"), days: Int64 = try expected.decode("days"), fines: Int64 = try expected.decode("fines")
                #expect(items == 10, "every loan due a day or more ago, in \(zone)")
                #expect(try conditions["max_items_overdue"]?.decode("current_value", as: Int64.self) == items, "\(zone), \(daily)/\(maximum)")
                #expect(try conditions["max_days_overdue"]?.decode("current_value", as: Int64.self) == days, "\(zone), \(daily)/\(maximum)")
                #expect(try conditions["max_outstanding_billed"]?.decode("current_value", as: Int64.self) == fines, "\(zone), \(daily)/\(maximum)")
                accruedFigures.insert(fines)
            }
        }
        #expect(accruedFigures.count >= 3, "the three fine policies accrue different sums")
        #expect(!accruedFigures.contains(0))
    }

    @Test("A day begins at its first instant in the branch's time zone, also where clocks go back across midnight or skip it")
    func localDayStart() async throws {
        let fixture = try await DemoFixture.make()
        let havana = try await fixture.adminScalar("select ps.local_day_start('2024-11-03', 'America/Havana')", as: Date.self)
        #expect(havana == Date(timeIntervalSince1970: 1_730_606_400), "Havana went from 01:00 back to 00:00: the day began at 04:00 UTC, not 05:00")
        let zones = ["America/Havana", "America/Santiago", "America/Asuncion", "America/Sao_Paulo", "Asia/Beirut", "Asia/Gaza",
                     "Atlantic/Azores", "Europe/Lisbon", "America/Chicago", "Europe/London", "Pacific/Apia", "Australia/Lord_Howe",
                     "Asia/Kathmandu", "Pacific/Chatham", "Pacific/Kiritimati", "Antarctica/Casey", "Asia/Colombo"]
        let wrong = try await fixture.adminScalar("""
            select count(*) from unnest(string_to_array(\(zones.joined(separator: ",")), ',')) z (name), generate_series(date '1990-01-01', date '2030-12-31', interval '1 day') g (day),
                lateral (select ps.local_day_start(g.day::date, z.name) as s) x
            where not ((x.s at time zone z.name)::date >= g.day::date and ((x.s - interval '1 microsecond') at time zone z.name)::date < g.day::date)
            """, as: Int.self)
        #expect(wrong == 0, "the instant before each day's start falls on an earlier day, and the start itself does not")
    }
}
