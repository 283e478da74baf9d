import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Logging
import Mail
import NIOPosix
import PatronServices
import PatronServicesHTTP
import PatronServicesTesting
import Postgres
import Testing

/// Notices reach a real SMTP server (aiosmtpd on loopback), once, whatever fails on the way.
@Suite("Notices leave the building: SMTP delivery")
struct NoticeDeliveryTests {
    /// A change request with the confirmation e-mail on: one staff e-mail and one confirmation queued.
    static func submitChangeRequest(_ n: NoticeFixture) async throws {
        try await n.sql("""
            select ps.save_access_options('library', \(n.institution), null,
                '{"addressChange": "request", "confirmationEmail": true, "updatePatronTypes": ["ADULT", "JUVENILE", "SENIOR", "STAFF"]}'::jsonb)
            """)
        try await withApp(database: n.fixture.database) { client async throws in
            let key = n.fixture.credentials.pacClientKey
            let signIn = try await client.pac(.post, "/pac/v1/sign-in", key: key, json: #"{"barcode":"\#(n.fixture.credentials.patronBarcode)","pin":"1234"}"#)
            let session = try #require(signIn.object["sessionToken"] as? String)
            let response = try await client.pac(.post, "/pac/v1/change-requests", key: key, session: session,
                json: #"{"address": {"line1": "9 Harbor Way", "postalCode": "60614"}}"#)
            #expect(response.status == .ok)
        }
    }

    @Test("a single email message is sent soon after the patron clicks Submit Change Request … to both the primary and alternate email addresses")
    func confirmationReachesBothAddresses() async throws {
        let n = try await NoticeFixture.make()
        let sink = try SMTPSink.start()
        try await Self.submitChangeRequest(n)
        let counts = try await n.deliver(port: sink.port)
        #expect(counts.sent == 2)
        let mail = try sink.messages()
        let confirmation = try #require(mail.first { Set($0.rcptTos) == [NoticeFixture.primary, NoticeFixture.alternate] })
        #expect(mail.filter { $0.rcptTos.contains(NoticeFixture.primary) }.count == 1, "a single message, to both addresses")
        #expect(confirmation.subject == "We received your account update")
        #expect(confirmation.text.contains("Dear Ada Lovelace"))
        #expect(confirmation.text.contains("- address: pending verification"))
        #expect(confirmation.mailFrom == "notices@consortium.example.org")
        #expect(confirmation.from.contains("notices@consortium.example.org"))
        let id = try await n.fixture.adminScalar(
            "select format('<notice-%s-%s@consortium.example.org>', institution_id, message_id) from ps.outbox where kind = 'patron_change_confirmation'",
            as: String.self)
        #expect(confirmation.messageId == id, "a stable Message-ID per row")
        #expect(try await n.notices("kind = 'patron_change_confirmation'").map(\.status) == ["sent"])
    }

    @Test("Patron can submit change request places a verification block … and an email message is sent to the library staff")
    func staffEmailReachesStaff() async throws {
        let n = try await NoticeFixture.make()
        let sink = try SMTPSink.start()
        try await Self.submitChangeRequest(n)
        try await n.deliver(port: sink.port)
        let branchEmail = try await n.fixture.adminScalar("select staff_email from ps.branch where branch_id = \(n.branch)", as: String.self)
        let staffMail = try #require(try sink.messages().first { $0.rcptTos == [branchEmail] })
        #expect(staffMail.subject.hasPrefix("Change request "))
        #expect(staffMail.subject.hasSuffix("to verify for patron \(n.fixture.credentials.patronBarcode)"))
        #expect(staffMail.text.contains("asked to change: address"))
    }

    @Test("If the patron record does not have an email address, no message is sent")
    func noAddressNoConfirmation() async throws {
        let n = try await NoticeFixture.make()
        try await n.sql("update ps.patron set email = null, alt_email = null where patron_id = \(n.patron)")
        let sink = try SMTPSink.start()
        try await Self.submitChangeRequest(n)
        try await n.deliver(port: sink.port)
        #expect(try sink.messages().allSatisfy { !$0.subject.contains("account update") })
        #expect(try await n.notices("kind = 'patron_change_confirmation'").isEmpty)
    }

    @Test("the SMTP server down, then back: the notice is delivered once, after")
    func serverDownThenBack() async throws {
        let n = try await NoticeFixture.make()
        let port = try SMTPSink.freePort()
        try await Self.submitChangeRequest(n)
        let down = try await n.deliver(port: port)
        #expect(down.temporary == 2 && down.sent == 0)
        let retrying = try await n.notices("kind = 'patron_change_confirmation'")
        #expect(retrying.map(\.status) == ["pending"], "a refused connection is temporary")
        let error = try await n.fixture.adminScalar("select last_error from ps.outbox where kind = 'patron_change_confirmation'", as: String.self)
        #expect(error.contains("curl 7"), "the last error says why: \(error)")
        #expect(try await n.deliver(port: port).claimed == 0, "not retried before its backoff")
        let sink = try SMTPSink.start(port: port)
        try await n.elapseBackoff()
        #expect(try await n.deliver(port: sink.port).sent == 2)
        #expect(try sink.messages().count == 2)
        #expect(try await n.deliver(port: sink.port).claimed == 0, "nothing twice")
    }

    @Test("a 4xx reply is retried with backoff, then delivered")
    func temporaryFailureThenSuccess() async throws {
        let n = try await NoticeFixture.make()
        let sink = try SMTPSink.start(["--script", "451,451"])
        try await Self.submitChangeRequest(n)
        #expect(try await n.deliver(port: sink.port).temporary == 2)
        let next = try await n.fixture.adminScalar(
            "select min(next_attempt_at - now()) > interval '10 seconds' and max(next_attempt_at - now()) <= interval '30 seconds' from ps.outbox where status = 'pending'",
            as: Bool.self)
        #expect(next, "the first retry waits 15–30 s (30 s with jitter)")
        try await n.elapseBackoff()
        #expect(try await n.deliver(port: sink.port).sent == 2)
        #expect(try sink.messages().count == 2)
        let attempts = try await n.fixture.adminScalar("select array_agg(attempts order by message_id) from ps.outbox", as: [Int].self)
        #expect(attempts == [2, 2])
    }

    @Test("a 5xx reply is permanent: the notice is dead, with the server's answer, visible to staff")
    func permanentFailureIsDead() async throws {
        let n = try await NoticeFixture.make()
        let sink = try SMTPSink.start(["--reject", "550"])
        try await Self.submitChangeRequest(n)
        #expect(try await n.deliver(port: sink.port).permanent == 2)
        try await n.elapseBackoff()
        #expect(try await n.deliver(port: sink.port).claimed == 0, "dead notices are not retried")
        try await withApp(database: n.fixture.database) { client async throws in
            let history = try await client.call(.get, "/staff/v1/patrons/\(n.patron)/notices", token: n.staff).array
            let confirmation = try #require(history.first { $0["kind"] as? String == "patron_change_confirmation" })
            #expect(confirmation["status"] as? String == "dead")
            #expect(confirmation["attempts"] as? Int == 1)
            #expect((confirmation["lastError"] as? String)?.contains("reply 550") == true)
            let dead = try await client.call(.get, "/staff/v1/notices?status=dead", token: n.staff).array
            #expect(dead.count == 2)
            // Resend: a new notice to the current address, after the patron's address is fixed.
            let resent = try await client.call(.post, "/staff/v1/notices/\(confirmation["messageId"] as! Int)/resend", token: n.staff)
            #expect(resent.status == .created)
            #expect(resent.object["status"] as? String == "pending")
            #expect(try await client.call(.get, "/staff/v1/notices?status=bogus", token: n.staff).status == .badRequest)
        }
    }

    @Test("the connection dropped in the middle of DATA: retried, delivered")
    func droppedConnectionRetried() async throws {
        let n = try await NoticeFixture.make()
        let sink = try SMTPSink.start(["--drop", "1"])
        try await Self.submitChangeRequest(n)
        let first = try await n.deliver(port: sink.port)
        #expect(first.temporary >= 1, "no 250, so not sent")
        try await n.elapseBackoff()
        try await n.deliver(port: sink.port)
        #expect(try await n.notices().allSatisfy { $0.status == "sent" })
        #expect(Set(try sink.messages().map(\.messageId)).count == 2)
    }

    @Test("a worker killed between send and mark: the notice is sent again with the same Message-ID, and marked once")
    func crashBetweenSendAndMark() async throws {
        let n = try await NoticeFixture.make()
        let sink = try SMTPSink.start()
        try await Self.submitChangeRequest(n)
        // The worker claims and sends, then dies before ps.finish_notices.
        let pool = PostgresPool(configuration: .init(connection: n.fixture.database.app, maxConnections: 1))
        let claimed = try await pool.transactionalQuery(NoticeQueries.claim(worker: "doomed", limit: 10, leaseSeconds: 300),
            options: NoticeQueries.systemOptions("test")).scalar(PostgresJSON.self).decode([RenderableNotice].self)
        await pool.close()
        #expect(claimed.count == 2)
        let client = SMTPClient(configuration: NoticeFixture.smtp(port: sink.port))
        for notice in claimed {
            let message = MailMessage(fromName: nil, from: "notices@consortium.example.org", to: notice.recipients, replyTo: nil,
                subject: "first copy", messageID: NoticeDelivery.messageID(notice, domain: "consortium.example.org"), text: "x")
            #expect(client.send(message, recipients: notice.recipients) == .sent)
        }
        #expect(try await n.deliver(port: sink.port).claimed == 0, "leased: no other worker takes them")
        try await n.elapseBackoff()  // the lease runs out
        #expect(try await n.deliver(port: sink.port).sent == 2)
        let mail = try sink.messages()
        #expect(mail.count == 4)
        #expect(Dictionary(grouping: mail, by: \.messageId).values.allSatisfy { $0.count == 2 }, "each copy has its original's Message-ID")
        #expect(try await n.notices().allSatisfy { $0.status == "sent" })
    }

    @Test("two workers on the same outbox send each notice once")
    func twoWorkersNoDuplicates() async throws {
        let n = try await NoticeFixture.make()
        let sink = try SMTPSink.start()
        try await n.sql("""
            insert into ps.outbox (institution_id, kind, patron_id, branch_id, recipients, payload)
            select \(n.institution), 'patron_change_confirmation', \(n.patron), \(n.branch), array['reader' || g || '@example.org'],
                   '{"fields": {"email": {"outcome": "applied"}}}'
            from generate_series(1, 300) g
            """)
        async let a = n.deliver(port: sink.port, workers: 2, batchSize: 7, name: "a")
        async let b = n.deliver(port: sink.port, workers: 2, batchSize: 7, name: "b")
        let (countsA, countsB) = try await (a, b)
        #expect(countsA.sent + countsB.sent == 300)
        let mail = try sink.messages()
        #expect(mail.count == 300)
        #expect(Set(mail.map(\.messageId)).count == 300, "no message twice")
        #expect(try await n.fixture.adminScalar("select count(*) from ps.outbox where status = 'sent' and attempts = 1", as: Int.self) == 300)
    }

    @Test("a message's headers: Reply-To, an encoded non-ASCII subject, no header injection through a template")
    func messageHeaders() async throws {
        let message = MailMessage(fromName: "Bibliothèque \"Centrale\"", from: "notices@example.org", to: ["a@example.org"],
            replyTo: "desk@example.org", subject: "Échéance\r\nBcc: evil@example.org", messageID: "<notice-1-2@example.org>", text: "Bonjour", html: "<p>Bonjour</p>")
        let text = String(decoding: message.bytes(), as: UTF8.self)
        #expect(!text.contains("\r\nBcc:"), "CR/LF in a subject cannot start a header")
        #expect(text.contains("Subject: =?UTF-8?B?"))
        #expect(text.contains("Reply-To: desk@example.org\r\n"))
        #expect(text.contains("multipart/alternative"))
        #expect(MailMessage.isPlainAddress("a@example.org"))
        #expect(!MailMessage.isPlainAddress("a@example.org>, b@evil.org"))
        let sink = try SMTPSink.start()
        let client = SMTPClient(configuration: NoticeFixture.smtp(port: sink.port))
        #expect(client.send(message, recipients: ["a@example.org"]) == .sent)
        let received = try #require(try sink.messages().first)
        #expect(received.subject == "Échéance Bcc: evil@example.org")
        #expect(received.replyTo == "desk@example.org")
        #expect(received.from.contains("Bibliothèque"))
        #expect(received.html?.contains("<p>Bonjour</p>") == true)
        if case .permanent = client.send(message, recipients: ["x@example.org>, y@evil.org"]) {} else { Issue.record("an address that would break a header is refused") }
    }
}
