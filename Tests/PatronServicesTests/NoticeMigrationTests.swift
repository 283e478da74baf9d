import Foundation
import Logging
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@Suite("Migration 0008: the patron type policy's notification fields become references, nothing lost")
struct NoticeMigrationTests {
    @Test("the free-text Bill and Suspension Notification Policies and Account Overview template of existing policies become policies and a template of the same names")
    func existingValuesMigrated() async throws {
        _ = try await TestDatabase.create()  // starts the shared test cluster
        let name = "migrate_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try await PostgresConnection.with(TestDatabase.cluster.configuration()) { c async throws in
            try await c.execute("create database \(name) owner \(DatabaseRoles.owner)")
        }
        let owner = TestDatabase.cluster.configuration(user: DatabaseRoles.owner, database: String(name))
        let superuser = TestDatabase.cluster.configuration(database: String(name))
        let full = try Migrator(directory: TestDatabase.sqlDirectory, logger: Logger(label: "test"))
        // The database as it was before 0008: migrations 0001–0007 and no rule layer.
        let before = full.scripts.filter { $0.kind == .migration && $0.name < "0008" }
        try await Migrator(scripts: before, layerSchemas: ["ps"]).migrate(owner)
        try await PostgresConnection.with(superuser) { c async throws in
            try await c.execute("""
                insert into ps.library (code, name, currency, time_zone) values ('OLD', 'Old Library', 'USD', 'America/Chicago');
                insert into ps.patron_type (institution_id, code, description) select institution_id, t, t from ps.library, unnest(array['ADULT', 'CHILD', 'STAFF']) t;
                insert into ps.patron_type_policy (institution_id, patron_type_id, bill_notification_policy, suspension_notification_policy, account_overview_template)
                select institution_id, patron_type_id, case when code <> 'STAFF' then 'Standard bills' end, case when code = 'ADULT' then 'Adults suspended' end,
                       case when code = 'ADULT' then 'Summer overview' end
                from ps.patron_type;
                """)
        }
        #expect(try await full.migrate(owner).contains("0008_notices.sql"))
        try await PostgresConnection.with(superuser) { c async throws in
            let rows = try await c.query("""
                select t.code, b.name as bill, s.name as suspension, o.name as overview, o.kind as overview_kind
                from ps.patron_type_policy pp join ps.patron_type t using (patron_type_id)
                left join ps.notification_policy b on b.notification_policy_id = pp.bill_notification_policy_id and b.kind = 'bill'
                left join ps.notification_policy s on s.notification_policy_id = pp.suspension_notification_policy_id and s.kind = 'suspension'
                left join ps.notice_template o on o.template_id = pp.account_overview_template_id
                order by t.code
                """).map { row in
                    [try row.decode("code", as: String.self), try row.decode("bill", as: String?.self) ?? "-", try row.decode("suspension", as: String?.self) ?? "-",
                     try row.decode("overview", as: String?.self) ?? "-", try row.decode("overview_kind", as: String?.self) ?? "-"]
                }
            #expect(rows == [["ADULT", "Standard bills", "Adults suspended", "Summer overview", "account_overview"],
                             ["CHILD", "Standard bills", "-", "-", "-"],
                             ["STAFF", "-", "-", "-", "-"]])
            #expect(try await c.query("select count(*) from ps.notification_policy where kind = 'bill'").scalar(Int.self) == 1, "one policy per name and institution")
            let history = try await c.query("select count(*) from ps.patron_type_policy_change").scalar(Int.self)
            #expect(history == 0, "the data migration is not an edit by anyone: no history rows")
        }
        try await PostgresConnection.with(TestDatabase.cluster.configuration()) { c async throws in
            try await c.execute("drop database \(name) with (force)")
        }
    }
}
