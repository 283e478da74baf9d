import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Logging
import PatronServices
import PatronServicesHTTP
import PatronServicesTesting
import Postgres
import Testing

/// Which notices the rules queue, to whom, and what they say: notification policies, templates,
/// reminder jobs with their opt-outs, Contact patron and print.
@Suite("Notices: policies, templates, reminder jobs, print")
struct NoticeRulesTests {
    /// A bill notification policy for the patron's type, created and selected through the staff API.
    static func billPolicy(_ n: NoticeFixture, _ client: any TestClientProtocol, _ json: String) async throws -> Int {
        let created = try await client.call(.post, "/staff/v1/notification-policies", token: n.admin, json: json)
        #expect(created.status == .created, "\(String(buffer: created.body))")
        let id = try #require(created.object["notificationPolicyId"] as? Int)
        let field = created.object["kind"] as? String == "bill" ? "billNotificationPolicyId" : "suspensionNotificationPolicyId"
        let saved = try await client.call(.put, "/staff/v1/patron-type-policies/\(n.patronType)", token: n.admin, json: #"{"\#(field)": \#(id)}"#)
        #expect(saved.status == .ok, "\(String(buffer: saved.body))")
        return id
    }

    @Test("Bill Notification Policy: Select the bill notification that will be sent to the patron (on posting, and reminders after N days unpaid)")
    func billNotification() async throws {
        let n = try await NoticeFixture.make()
        let sink = try SMTPSink.start()
        try await withApp(database: n.fixture.database) { client async throws in
            _ = try await Self.billPolicy(n, client, #"{"kind": "bill", "name": "Fines", "billKinds": ["overdue_fine", "other"], "reminderDays": [14, 7]}"#)
            var bill = try await client.call(.post, "/staff/v1/bills", token: n.staff, json: #"{"patronId": \#(n.patron), "kind": "other", "amountMinor": 1250}"#)
            #expect(bill.status == .created)
            bill = try await client.call(.post, "/staff/v1/bills", token: n.staff, json: #"{"patronId": \#(n.patron), "kind": "lost_item", "amountMinor": 900}"#)
            #expect(bill.status == .created)
        }
        #expect(try await n.notices("kind = 'bill_notice'").count == 1, "only the kinds the policy covers")
        try await n.deliver(port: sink.port)
        let notice = try #require(try sink.messages().first)
        #expect(notice.rcptTos == [NoticeFixture.primary])
        #expect(notice.subject.contains("12.50 USD") || notice.subject.contains("12.50"))
        #expect(notice.text.contains("Outstanding: 12.50"))
        // Reminders: 7 and 14 days after posting, once each, the longest one due.
        try await n.sql("update ps.bill set posted_at = now() - interval '8 days' where patron_id = \(n.patron) and kind = 'other'")
        #expect(try await n.runJobs().count("bill_notice") == 1)
        #expect(try await n.runJobs().count("bill_notice") == 0, "a job run is idempotent")
        try await n.sql("update ps.bill set posted_at = now() - interval '20 days' where patron_id = \(n.patron) and kind = 'other'")
        #expect(try await n.runJobs().count("bill_notice") == 1)
        try await n.deliver(port: sink.port)
        let reminders = try sink.messages().filter { $0.subject.hasPrefix("Reminder") }
        #expect(reminders.count == 2)
        #expect(reminders.last?.text.contains("still unpaid 14 days") == true)
    }

    @Test("WorldShare Circulation does not allow individual patrons to opt-out of email notices when the patron has a valid email address on record")
    func noOptOutOfWMSNotices() async throws {
        let n = try await NoticeFixture.make()
        try await n.sql("""
            update ps.patron set exclude_almost_overdue_auto_renew = true, exclude_patron_rec_expiration = true, exclude_inactive_patron = true
            where patron_id = \(n.patron)
            """)
        try await withApp(database: n.fixture.database) { client async throws in
            _ = try await Self.billPolicy(n, client, #"{"kind": "bill", "name": "All bills"}"#)
            _ = try await client.call(.post, "/staff/v1/bills", token: n.staff, json: #"{"patronId": \#(n.patron), "kind": "other", "amountMinor": 100}"#)
        }
        #expect(try await n.notices("kind = 'bill_notice'").map(\.recipients) == [[NoticeFixture.primary]])
    }

    @Test("If the patron record has no email addresses, the system will generate a print notification: one page per notice in a real browser")
    func printNotification() async throws {
        let n = try await NoticeFixture.make()
        try await n.sql("update ps.patron set email = null, alt_email = null, institution_email = null where patron_id = \(n.patron)")
        let sink = try SMTPSink.start()
        let today = try await n.fixture.adminScalar("select (now() at time zone time_zone)::date::text from ps.branch where branch_id = \(n.branch)", as: String.self)
        let html = try await withApp(database: n.fixture.database) { client async throws -> String in
            _ = try await Self.billPolicy(n, client, #"{"kind": "bill", "name": "All bills"}"#)
            for amount in [100, 200, 300] {
                _ = try await client.call(.post, "/staff/v1/bills", token: n.staff, json: #"{"patronId": \#(n.patron), "kind": "other", "amountMinor": \#(amount)}"#)
            }
            let page = try await client.call(.get, "/staff/v1/print-notices?branchId=\(n.branch)&date=\(today)", token: n.staff)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(try await client.call(.get, "/staff/v1/print-notices?branchId=\(n.branch)&date=2026-02-30", token: n.staff).status == .badRequest)
            return String(buffer: page.body)
        }
        try await n.deliver(port: sink.port)
        #expect(try sink.messages().isEmpty, "nothing is e-mailed")
        #expect(try await n.notices("kind = 'bill_notice'").map(\.channel) == ["print", "print", "print"])
        #expect(html.contains("12 Elm Street"))
        #expect(html.contains("class=\"window\""))
        #expect(try Chromium.pageCount(html: html) == 3, "one page per notice")
        try await withApp(database: n.fixture.database) { client async throws in
            let marked = try await client.call(.post, "/staff/v1/print-notices/printed", token: n.staff, json: #"{"branchId": \#(n.branch), "date": "\#(today)"}"#)
            #expect(marked.object["printed"] as? Int == 3)
        }
        #expect(try await n.notices("kind = 'bill_notice'").map(\.status) == ["printed", "printed", "printed"])
    }

    @Test("Suspension Notification Policy: Select the suspension notification that will be sent to the patron (on suspending, on lifting)")
    func suspensionNotification() async throws {
        let n = try await NoticeFixture.make()
        let sink = try SMTPSink.start()
        try await withApp(database: n.fixture.database) { client async throws in
            _ = try await Self.billPolicy(n, client, #"{"kind": "suspension", "name": "Suspensions", "onLift": true}"#)
            let suspended = try await client.call(.post, "/staff/v1/patrons/\(n.patron)/suspensions", token: n.staff, json: #"{"minutes": 1440, "reason": "Damaged item"}"#)
            #expect(suspended.status == .created, "\(String(buffer: suspended.body))")
            let id = try #require(suspended.object["suspensionId"] as? Int)
            #expect(try await client.call(.post, "/staff/v1/suspensions/\(id)/lift", token: n.staff).status == .ok)
        }
        try await n.deliver(port: sink.port)
        let subjects = try sink.messages().map(\.subject)
        #expect(subjects.count == 2)
        #expect(subjects.first?.hasPrefix("Your borrowing is suspended until") == true)
        #expect(subjects.last == "Your borrowing suspension was lifted")
        #expect(try sink.messages().first?.text.contains("Damaged item") == true)
    }

    @Test("Account Overview: the template is what staff send when they Contact patron, with the resolved reply-to address")
    func contactPatron() async throws {
        let n = try await NoticeFixture.make()
        let sink = try SMTPSink.start()
        try await n.lend(title: "The Analytical Engine", barcode: "ITEM-AE-1", due: "2030-01-01T12:00:00Z")
        try await withApp(database: n.fixture.database) { client async throws in
            #expect(try await client.call(.post, "/staff/v1/patrons/\(n.patron)/contact", token: n.staff).status == .conflict,
                "no template assigned: no Account Overview option")
            let template = try await n.fixture.adminScalar("select template_id from ps.notice_template where kind = 'account_overview' and institution_id is null", as: Int.self)
            let saved = try await client.call(.put, "/staff/v1/patron-type-policies/\(n.patronType)", token: n.admin,
                json: #"{"accountOverviewTemplateId": \#(template), "replyToFirst": "branch"}"#)
            #expect(saved.status == .ok)
            let sent = try await client.call(.post, "/staff/v1/patrons/\(n.patron)/contact", token: n.staff)
            #expect(sent.status == .created)
            #expect(sent.object["kind"] as? String == "account_overview")
        }
        try await n.deliver(port: sink.port)
        let mail = try #require(try sink.messages().first)
        let branchEmail = try await n.fixture.adminScalar("select staff_email from ps.branch where branch_id = \(n.branch)", as: String.self)
        #expect(mail.replyTo == branchEmail, "the first choice reply-to: the branch")
        #expect(mail.text.contains("The Analytical Engine (ITEM-AE-1), due 2030-01-01"))
        #expect(mail.html?.contains("<li>The Analytical Engine") == true)
    }

    @Test("an Account Overview's balance is given per currency when the patron owes libraries that count in different ones (amounts are never added across currencies), and a bill notice's amounts are in its bill's currency")
    func amountsKeepTheirCurrency() async throws {
        let n = try await NoticeFixture.make()
        let overview = "select ps.notice_context('account_overview', \(n.patron), '{}')->'account'->>'balance'"
        #expect(try await n.fixture.adminScalar(PostgresQuery(unsafeSQL: overview), as: String.self) == "0.00 USD")
        try await n.sql("insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at) values (\(n.institution), \(n.patron), 'other', 1250, now())")
        let north = try await n.fixture.adminScalar("""
            insert into ps.library (code, name, currency, time_zone) values ('NORTH', 'North Library', 'CAD', 'America/Winnipeg') returning institution_id
            """, as: Int64.self)
        let bill = try await n.fixture.adminScalar("""
            insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at) values (\(north), \(n.patron), 'other', 300, now()) returning bill_id
            """, as: Int64.self)
        #expect(try await n.fixture.adminScalar(PostgresQuery(unsafeSQL: overview), as: String.self) == "3.00 CAD, 12.50 USD")
        let notice = "select ps.notice_context('bill_notice', \(n.patron), '{\"billId\": \(bill)}')->'bill'->>'amount'"
        #expect(try await n.fixture.adminScalar(PostgresQuery(unsafeSQL: notice), as: String.self) == "3.00 CAD")
    }

    @Test("patrons may opt out of receiving certain email reminder notices: almost overdue/auto-renew, patron record expiration, inactive patron — where offered")
    func reminderOptOuts() async throws {
        let n = try await NoticeFixture.make()
        // Only the demo patron is due anything: every other patron is kept out of the reminders.
        try await n.sql("update ps.patron set expiration_date = null, last_activity_at = now() where patron_id <> \(n.patron)")
        try await n.sql("update ps.patron set expiration_date = current_date + 10, last_activity_at = now() - interval '400 days' where patron_id = \(n.patron)")
        try await n.lend(title: "Due soon", barcode: "ITEM-DS-1", due: ISO8601DateFormatter().string(from: Date().addingTimeInterval(86_400)))
        // Opted out of all three, but the branch offers none of the opt-outs: every reminder is queued.
        try await n.sql("""
            update ps.patron set exclude_almost_overdue_auto_renew = true, exclude_patron_rec_expiration = true, exclude_inactive_patron = true
            where patron_id = \(n.patron)
            """)
        let dry = try await n.runJobs(dryRun: true)
        #expect(dry.count("almost_overdue") == 1 && dry.count("patron_record_expiration") == 1 && dry.count("inactive_patron") == 1)
        #expect(try await n.notices().isEmpty, "a dry run queues nothing")
        // The branch offers the opt-outs: the patron who opted out gets none.
        try await n.sql("""
            select ps.save_access_options('library', \(n.institution), null,
                '{"optOutAlmostOverdueAutoRenew": true, "optOutPatronRecordExpiration": true, "optOutInactivePatron": true}'::jsonb)
            """)
        let skipped = try await n.runJobs()
        #expect(skipped.count("almost_overdue") + skipped.count("patron_record_expiration") + skipped.count("inactive_patron") == 0)
        // Opted back in: each reminder once, however often the job runs.
        try await n.sql("""
            update ps.patron set exclude_almost_overdue_auto_renew = false, exclude_patron_rec_expiration = false, exclude_inactive_patron = false
            where patron_id = \(n.patron)
            """)
        let queued = try await n.runJobs()
        #expect(queued.count("almost_overdue") == 1 && queued.count("patron_record_expiration") == 1 && queued.count("inactive_patron") == 1)
        let again = try await n.runJobs()
        #expect(again.queued.isEmpty, "running twice for the same day queues nothing new")
        let sink = try SMTPSink.start()
        try await n.deliver(port: sink.port)
        let subjects = Set(try sink.messages().map(\.subject))
        #expect(subjects.contains { $0.hasPrefix("Items due soon") })
        #expect(subjects.contains { $0.hasPrefix("Your library card expires on") })
        #expect(subjects.contains { $0.hasPrefix("We miss you") })
        #expect(try sink.messages().first { $0.subject.hasPrefix("Items due soon") }?.text.contains("Due soon (ITEM-DS-1)") == true)
    }

    @Test("reminders go by text through the carrier's e-mail-to-SMS gateway when the patron has no e-mail")
    func textReminder() async throws {
        let n = try await NoticeFixture.make()
        try await n.sql("update ps.patron set expiration_date = null where patron_id <> \(n.patron)")
        try await n.sql("insert into ps.sms_carrier (name, gateway_domain) values ('Example Mobile', 'sms.example.net')")
        try await n.sql("""
            update ps.patron set email = null, alt_email = null, institution_email = null, phone1 = '312-555-0199', expiration_date = current_date + 5,
                sms_carrier_id = (select carrier_id from ps.sms_carrier where name = 'Example Mobile')
            where patron_id = \(n.patron)
            """)
        #expect(try await n.runJobs().queued["patron_record_expiration"]?["sms"] == 1)
        let sink = try SMTPSink.start()
        try await n.deliver(port: sink.port)
        let text = try #require(try sink.messages().first)
        #expect(text.rcptTos == ["3125550199@sms.example.net"])
        #expect(text.text.hasPrefix("Your library card expires on"), "one short text: the subject line")
    }

    @Test("two service processes running the jobs at once queue each notice once")
    func concurrentJobRuns() async throws {
        let n = try await NoticeFixture.make()
        async let a = n.runJobs()
        async let b = n.runJobs()
        let (first, second) = try await (a, b)
        let total = first.queued.values.flatMap(\.values).reduce(0, +) + second.queued.values.flatMap(\.values).reduce(0, +)
        let rows = try await n.fixture.adminScalar("select count(*) from ps.outbox where dedupe_key is not null", as: Int.self)
        #expect(total == rows)
        #expect(rows > 0, "the demo has patrons due reminders")
        #expect(try await n.fixture.adminScalar("select count(*) = count(distinct dedupe_key) from ps.outbox where dedupe_key is not null", as: Bool.self))
    }

    @Test("templates per institution and language: saving one that does not parse or names an unknown variable is a 422 listing the problems; preview renders it")
    func templates() async throws {
        let n = try await NoticeFixture.make()
        try await withApp(database: n.fixture.database) { client async throws in
            var response = try await client.call(.post, "/staff/v1/notice-templates", token: n.admin,
                json: #"{"kind": "almost_overdue", "subject": "{{#loans}}x", "bodyText": "{{patron.firstName}"}"#)
            #expect(response.status == .unprocessableContent)
            #expect(Set(try response.problem().errors?.map(\.field) ?? []) == ["subject", "bodyText"])
            response = try await client.call(.post, "/staff/v1/notice-templates", token: n.admin,
                json: #"{"kind": "almost_overdue", "subject": "Hi {{patron.nickname}}", "bodyText": "{{#loans}}{{title}} {{shelf}}{{/loans}}", "bodyHtml": "{{> partial}}"}"#)
            #expect(response.status == .unprocessableContent)
            #expect(try response.problem().errors?.first?.code == "syntax", "partials are refused")
            response = try await client.call(.post, "/staff/v1/notice-templates", token: n.admin,
                json: #"{"kind": "almost_overdue", "subject": "Hi {{patron.nickname}}", "bodyText": "{{#loans}}{{title}} {{shelf}}{{/loans}}"}"#)
            #expect(response.status == .unprocessableContent)
            let problem = try response.problem()
            #expect(Set(problem.errors?.map(\.field) ?? []) == ["subject", "bodyText"])
            #expect(problem.detail.contains("{{patron.nickname}}") && problem.detail.contains("{{shelf}}"))
            // The library's own template replaces the consortium's for its patrons.
            response = try await client.call(.post, "/staff/v1/notice-templates", token: n.admin,
                json: #"{"kind": "almost_overdue", "subject": "{{library.name}}: due soon", "bodyText": "{{#loans}}{{title}} on {{dueOn}}\n{{/loans}}"}"#)
            #expect(response.status == .created)
            let id = try #require(response.object["templateId"] as? Int)
            #expect(response.object["institutionId"] as? Int == Int(n.institution))
            // The largest HTML body the rules allow (100,000 characters, here non-ASCII) fits the route's body
            // limit; one character more is the rules' 422, not a 413.
            let html = String(repeating: "é", count: 100_000)
            let large = try await client.call(.put, "/staff/v1/notice-templates/\(id)", token: n.admin,
                json: #"{"subject": "{{library.name}}: due soon", "bodyText": "{{#loans}}{{title}} on {{dueOn}}\n{{/loans}}", "bodyHtml": "\#(html)"}"#)
            #expect(large.status == .ok)
            let larger = try await client.call(.put, "/staff/v1/notice-templates/\(id)", token: n.admin,
                json: #"{"subject": "{{library.name}}: due soon", "bodyText": "{{#loans}}{{title}} on {{dueOn}}\n{{/loans}}", "bodyHtml": "\#(html)é"}"#)
            #expect(larger.status == .unprocessableContent)
            #expect(try await client.call(.post, "/staff/v1/notice-templates", token: n.admin,
                json: #"{"kind": "almost_overdue", "institutionId": null, "subject": "x", "bodyText": "y"}"#).status == .forbidden,
                "only consortium administrators write consortium templates")
            try await n.lend(title: "Preview Book", barcode: "ITEM-PV-1", due: "2031-05-01T12:00:00Z")
            let preview = try await client.call(.post, "/staff/v1/notice-templates/\(id)/preview", token: n.staff, json: #"{"patronId": \#(n.patron)}"#)
            #expect(preview.status == .ok)
            let library = try await n.fixture.adminScalar("select name from ps.library where institution_id = \(n.institution)", as: String.self)
            #expect(preview.object["subject"] as? String == "\(library): due soon")
            #expect((preview.object["text"] as? String)?.contains("Preview Book on 2031-05-01") == true)
            let other = n.fixture.tokens.first { $0.key.hasSuffix("/library_admin") && $0.value != n.admin }!.value
            #expect(try await client.call(.get, "/staff/v1/notice-templates/\(id)", token: other).status == .notFound, "another library's template is not visible")
            #expect(try await client.call(.post, "/staff/v1/notice-templates/\(id)/preview", token: n.staff, json: #"{"patronId": 999999999}"#).status == .notFound)
        }
        let rendering = try await n.fixture.adminScalar("""
            select (ps.notice_template_for(\(n.institution), 'almost_overdue', 'en', null)).subject
            """, as: String.self)
        #expect(rendering == "{{library.name}}: due soon")
    }

    @Test("every variable a notice kind lists resolves in that kind's context, and every consortium template renders")
    func catalogueMatchesContext() async throws {
        let n = try await NoticeFixture.make()
        try await n.lend(title: "Catalogue", barcode: "ITEM-CT-1", due: "2030-01-01T12:00:00Z")
        try await n.sql("insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at) values (\(n.institution), \(n.patron), 'other', 500, now())")
        try await n.sql("insert into ps.suspension (institution_id, patron_id, starts_at, ends_at, created_by) values (\(n.institution), \(n.patron), now(), now() + interval '1 day', 'test')")
        let kinds = try await n.fixture.asAdmin { c async throws in try await c.query("select distinct kind from ps.notice_template").map { try $0.decode(String.self, at: 0) } }
        #expect(kinds.count == 9)
        for kind in kinds {
            let missing = try await n.fixture.adminScalar("""
                select coalesce(array_agg(v), '{}') from unnest(ps.notice_variables(\(kind))) v
                cross join lateral (select ps.notice_context(\(kind), \(n.patron),
                    case \(kind) when 'staff_change_request' then '{"requestId": 1, "fields": ["address"]}'::jsonb
                                 when 'patron_change_confirmation' then '{"fields": {"email": {"outcome": "applied"}}}'::jsonb
                                 when 'bill_notice' then '{"reminderDays": 7}'::jsonb else '{}'::jsonb end) as c) x
                where not (x.c #> string_to_array(v, '.') is not null
                           or x.c #> string_to_array(split_part(v, '.', 1), '.') is not null)
                """, as: [String].self)
            #expect(missing.isEmpty, "\(kind): \(missing)")
            let template = try await n.fixture.asAdmin { c async throws in
                try await c.query("select subject, body_text, body_html from ps.notice_template where kind = \(kind) and institution_id is null").single()
            }
            let tags = try NoticeTemplate.check(subject: try template.decode("subject"), bodyText: try template.decode("body_text"),
                bodyHtml: try template.decode("body_html", as: String?.self))
            let unknown = try await n.fixture.adminScalar(
                "select count(*) from ps.unknown_notice_variables(\(kind), \(try PostgresJSON(encoding: tags))::jsonb)", as: Int.self)
            #expect(unknown == 0, "\(kind)'s consortium template names only known variables")
        }
    }

    @Test("metrics: notices by kind and status, deliveries by outcome, the age of the oldest unsent notice")
    func metrics() async throws {
        let n = try await NoticeFixture.make()
        try await NoticeDeliveryTests.submitChangeRequest(n)
        let sink = try SMTPSink.start()
        try await n.deliver(port: sink.port)
        try await withApp(database: n.fixture.database) { client async throws in
            let text = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(text.contains(#"notices{kind="patron_change_confirmation",status="sent"} 1"#))
            #expect(text.contains("notices_oldest_pending_seconds 0"))
        }
    }

    @Test("notification policies: 422 for bad fields, 409 while a patron type policy selects one, invisible to other libraries")
    func notificationPolicyRules() async throws {
        let n = try await NoticeFixture.make()
        try await withApp(database: n.fixture.database) { client async throws in
            var response = try await client.call(.post, "/staff/v1/notification-policies", token: n.admin,
                json: #"{"kind": "parcel", "name": "", "reminderDays": [0, 400], "billKinds": ["fine"], "extra": 1}"#)
            #expect(response.status == .unprocessableContent)
            #expect(Set(try response.problem().errors?.map(\.field) ?? []) == ["kind", "name", "reminderDays", "billKinds", "extra"])
            let id = try await Self.billPolicy(n, client, #"{"kind": "bill", "name": "Fines"}"#)
            #expect(try await client.call(.delete, "/staff/v1/notification-policies/\(id)", token: n.admin).status == .conflict)
            response = try await client.call(.patch, "/staff/v1/notification-policies/\(id)", token: n.admin, json: #"{"reminderDays": [30, 10]}"#)
            #expect(response.object["reminderDays"] as? [Int] == [10, 30])
            let other = n.fixture.tokens.first { $0.key.hasSuffix("/library_admin") && $0.value != n.admin }!.value
            #expect(try await client.call(.get, "/staff/v1/notification-policies/\(id)", token: other).status == .notFound)
            #expect(try await client.call(.put, "/staff/v1/patron-type-policies/\(n.patronType)", token: n.admin,
                json: #"{"billNotificationPolicyId": 999999}"#).status == .notFound, "an unknown policy in a body is 404, as in a path")
        }
    }
}
