import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@testable import PatronServicesHTTP

/// A demo consortium, its demo patron signed in, and helpers to set options and read the outbox.
struct AccountUpdatesFixture {
    let fixture: DemoFixture
    let patronID: Int64
    let registeredBranch: Int64
    let institution: Int64

    static func make(email: String? = "ada@mail.example.com", altEmail: String? = "ada@work.example.net") async throws -> AccountUpdatesFixture {
        let fixture = try await DemoFixture.make()
        let row = try await fixture.asAdmin { connection async throws in
            try await connection.query("""
                update ps.patron set email = \(email), alt_email = \(altEmail)
                where barcode = \(fixture.credentials.patronBarcode) returning patron_id, registered_branch_id, institution_id
                """).single()
        }
        return AccountUpdatesFixture(
            fixture: fixture, patronID: try row.decode("patron_id"), registeredBranch: try row.decode("registered_branch_id"),
            institution: try row.decode("institution_id"))
    }

    /// Saves options at a level (as SQL, the way the staff API does).
    func set(_ options: String, level: String = "library", branch: Int64? = nil) async throws {
        let institution: Int64? = level == "system" ? nil : self.institution
        try await fixture.asAdmin { connection async throws in
            try await connection.query("select ps.save_access_options(\(level), \(institution), \(branch), \(options)::jsonb)")
        }
    }

    func outbox() async throws -> [(kind: String, recipients: [String])] {
        try await fixture.asAdmin { connection async throws in
            try await connection.query("select kind, recipients from ps.outbox where patron_id = \(patronID) order by message_id").map {
                (try $0.decode("kind", as: String.self), try $0.decode("recipients", as: [String].self))
            }
        }
    }

    func verifyBlocked() async throws -> Bool {
        try await fixture.asAdmin { connection async throws in
            try await connection.query("select count(*) > 0 from ps.checkout_blocks(\(patronID)) where kind = 'verify_patron'").scalar(Bool.self)
        }
    }

    func patron(_ column: String) async throws -> String? {
        try await fixture.asAdmin { connection async throws in
            try await connection.query("select \(unescaped: column)::text from ps.patron where patron_id = \(patronID)").scalar(String?.self)
        }
    }

    func signIn(_ client: any TestClientProtocol) async throws -> String {
        let response = try await client.execute(uri: "/pac/v1/sign-in", method: .post, headers: pacHeaders(fixture.credentials.pacClientKey),
            body: ByteBuffer(string: #"{"barcode":"\#(fixture.credentials.patronBarcode)","pin":"1234"}"#))
        return try #require(response.object["sessionToken"] as? String)
    }

    func submit(_ client: any TestClientProtocol, _ session: String, _ json: String, key: String? = nil) async throws -> TestResponse {
        var headers = pacHeaders(fixture.credentials.pacClientKey, session: session)
        if let key { headers[AccountUpdatesController.idempotencyKey] = key }
        return try await client.execute(uri: "/pac/v1/change-requests", method: .post, headers: headers, body: ByteBuffer(string: json))
    }

    func run(_ test: @Sendable (any TestClientProtocol, String) async throws -> Void) async throws {
        try await withApp(database: fixture.database) { client async throws in
            try await test(client, try await signIn(client))
        }
    }
}

extension TestResponse {
    func outcome(_ field: String) -> String? { ((object["fields"] as? [String: Any])?[field] as? [String: Any])?["outcome"] as? String }
}

@Suite("Online patron account updates (Polaris Patron Access Options)")
struct AccountUpdatesTests {
    static let allowAdult = #""updatePatronTypes": ["ADULT", "JUVENILE", "SENIOR", "STAFF"]"#

    @Test("If the patron is signed in, the system uses the setting for the patron's registered branch; if not, the connection branch's")
    func optionsFollowScope() async throws {
        let f = try await AccountUpdatesFixture.make()
        let connection = f.fixture.branches["RPL-MAIN"]!
        #expect(f.registeredBranch != connection)
        try await f.set(#"{"addressChange": "direct", \#(Self.allowAdult)}"#, level: "branch", branch: f.registeredBranch)
        try await f.set(#"{"addressChange": "not_allowed"}"#, level: "branch", branch: connection)
        try await f.run { client, session async throws in
            let signedIn = try await client.execute(uri: "/pac/v1/options", method: .get, headers: pacHeaders(f.fixture.credentials.pacClientKey, session: session))
            #expect((signedIn.object["fields"] as? [String: Any])?["address"] as? String == "direct")
            #expect((signedIn.object["scope"] as? [String: Any])?["reason"] as? String == "registered_branch")
            #expect(signedIn.object["patronCanRequestUpdates"] as? Bool == true)
            let anonymous = try await client.execute(uri: "/pac/v1/options", method: .get, headers: pacHeaders(f.fixture.credentials.pacClientKey))
            #expect((anonymous.object["fields"] as? [String: Any])?["address"] as? String == "not_allowed")
            #expect((anonymous.object["scope"] as? [String: Any])?["reason"] as? String == "connection_branch")
        }
    }

    @Test("Patron can change notification method … does not place a verification block on the patron account")
    func notificationMethodDirect() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"changeNotificationMethod": true, \#(Self.allowAdult)}"#)
        try await f.run { client, session async throws in
            let response = try await f.submit(client, session, #"{"notificationMethod": "text"}"#)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            #expect(response.outcome("notificationMethod") == "applied")
        }
        #expect(try await f.patron("notification_method") == "text")
        #expect(try await f.verifyBlocked() == false)
    }

    @Test("Patron can submit change request places a verification block on the patron account … and an email message is sent to the library staff")
    func addressRequestBlocksAndEmailsStaff() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"addressChange": "request", \#(Self.allowAdult)}"#)
        let before = try await f.patron("address_line1")
        try await f.run { client, session async throws in
            let response = try await f.submit(client, session, #"{"address": {"line1": "9 Harbor Way", "postalCode": "60614"}}"#)
            #expect(response.outcome("address") == "pending_verification")
            #expect(response.object["verifyPatronBlock"] as? Bool == true)
            let account = try await client.execute(uri: "/pac/v1/account", method: .get, headers: pacHeaders(f.fixture.credentials.pacClientKey, session: session))
            let pending = try #require(account.object["pendingChangeRequest"] as? [String: Any])
            #expect((pending["fields"] as? [[String: Any]])?.first?["state"] as? String == "pending")
            #expect((account.object["blocks"] as? [[String: Any]])?.first?["kind"] as? String == "verify_patron")
        }
        #expect(try await f.patron("address_line1") == before)
        #expect(try await f.verifyBlocked())
        let staffMail = try await f.outbox().filter { $0.kind == "staff_change_request" }
        #expect(staffMail.count == 1)
        let branchEmail = try await f.fixture.adminScalar("select staff_email from ps.branch where branch_id = \(f.registeredBranch)", as: String.self)
        #expect(staffMail.first?.recipients == [branchEmail])
    }

    @Test("Patron can change without verification allows a patron to change the address online without incurring a verification block")
    func addressDirect() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"addressChange": "direct", \#(Self.allowAdult)}"#)
        try await f.run { client, session async throws in
            let response = try await f.submit(client, session, #"{"address": {"line1": "9 Harbor Way", "postalCode": "60614"}}"#)
            #expect(response.outcome("address") == "applied")
        }
        #expect(try await f.patron("address_line1") == "9 Harbor Way")
        #expect(try await f.patron("city") == "Chicago")
        #expect(try await f.verifyBlocked() == false)
        #expect(try await f.outbox().filter { $0.kind == "staff_change_request" }.isEmpty)
    }

    @Test("E-mail change request: Verify Patron block, and an email message is sent to the address specified on this tabbed page")
    func emailRequestToConfiguredAddress() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"emailChange": "request", "staffRequestEmail": "verify@riverside.example.org", \#(Self.allowAdult)}"#)
        try await f.run { client, session async throws in
            let response = try await f.submit(client, session, #"{"email": "Ada.New@Example.org"}"#)
            #expect(response.outcome("email") == "pending_verification")
        }
        #expect(try await f.outbox().filter { $0.kind == "staff_change_request" }.map(\.recipients) == [["verify@riverside.example.org"]])
        #expect(try await f.verifyBlocked())
    }

    @Test("Phone number change: direct without a block, by request with one")
    func phoneModes() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"phoneChange": "direct", \#(Self.allowAdult)}"#)
        try await f.run { client, session async throws in
            #expect(try await f.submit(client, session, #"{"phone": "1-312-555-0100"}"#).outcome("phone") == "applied")
        }
        #expect(try await f.patron("phone1") == "1-312-555-0100")
        #expect(try await f.verifyBlocked() == false)
        try await f.set(#"{"phoneChange": "request"}"#)
        try await f.run { client, session async throws in
            #expect(try await f.submit(client, session, #"{"phone": "312 555 0199"}"#).outcome("phone") == "pending_verification")
        }
        #expect(try await f.verifyBlocked())
    }

    @Test("Enable phone validation (system level only): area code/prefix/four-digit number; refused below system level")
    func phoneValidation() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"phoneChange": "direct", \#(Self.allowAdult)}"#)
        try await f.set(#"{"phoneValidation": true}"#, level: "system")
        await #expect(throws: PostgresError.self) { try await f.set(#"{"phoneValidation": false}"#, level: "library") }
        try await f.run { client, session async throws in
            let options = try await client.execute(uri: "/pac/v1/options", method: .get, headers: pacHeaders(f.fixture.credentials.pacClientKey, session: session))
            #expect((options.object["phoneInput"] as? [String: Any])?["form"] as? String == "split")
            var response = try await f.submit(client, session, #"{"phone": "1-312-555-0100"}"#)
            #expect(response.status == .unprocessableContent)
            #expect(try response.problem().errors?.first?.code == "invalid_phone")
            response = try await f.submit(client, session, #"{"phone": {"areaCode": "123", "prefix": "555", "lineNumber": "0100"}}"#)
            #expect(response.status == .unprocessableContent)
            response = try await f.submit(client, session, #"{"phone": {"areaCode": "312", "prefix": "555", "lineNumber": "0100"}}"#)
            #expect(response.outcome("phone") == "applied")
        }
        #expect(try await f.patron("phone1") == "312-555-0100")
        // Through the staff API, too: system-level-only is refused at library level with a stable code.
        try await withApp(database: f.fixture.database) { client async throws in
            let response = try await client.call(.put, "/staff/v1/patron-access-options", token: f.fixture.tokens["consortium_admin"]!,
                json: #"{"level":"library","institutionId":\#(f.institution),"options":{"phoneValidation":false}}"#)
            if response.status != .unprocessableContent { Issue.record("body: \(String(buffer: response.body))") }
            #expect(try response.problem().code == "system_level_only")
        }
    }

    @Test("PowerPAC and Mobile PAC perform basic validation against the postal codes table … regardless of which option you select")
    func postalCodeValidatedInBothModes() async throws {
        for mode in ["direct", "request"] {
            let f = try await AccountUpdatesFixture.make()
            try await f.set(#"{"addressChange": "\#(mode)", "confirmationEmail": true, \#(Self.allowAdult)}"#)
            try await f.run { client, session async throws in
                var response = try await f.submit(client, session, #"{"address": {"line1": "1 Nowhere", "postalCode": "99999"}}"#)
                #expect(response.status == .unprocessableContent, "\(mode)")
                #expect(try response.problem().errors?.first?.code == "postal_code_not_found")
                response = try await f.submit(client, session, #"{"address": {"line1": "1 Nowhere", "postalCode": "6060"}}"#)
                #expect(try response.problem().errors?.first?.code == "invalid_postal_code_format")
            }
            #expect(try await f.outbox().isEmpty, "nothing is written for bad input (\(mode))")
            #expect(try await f.verifyBlocked() == false)
        }
    }

    @Test("a single email message is sent … to both the primary and alternate email addresses")
    func confirmationToBothAddresses() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"confirmationEmail": true, "changeNotificationMethod": true, "phoneChange": "request", \#(Self.allowAdult)}"#)
        try await f.run { client, session async throws in
            _ = try await f.submit(client, session, #"{"notificationMethod": "email", "phone": "312-555-0142"}"#)
        }
        let confirmations = try await f.outbox().filter { $0.kind == "patron_change_confirmation" }
        #expect(confirmations.count == 1)
        #expect(confirmations.first?.recipients == ["ada@mail.example.com", "ada@work.example.net"])
    }

    @Test("If the patron record does not have an email address, no message is sent")
    func noConfirmationWithoutEmail() async throws {
        let f = try await AccountUpdatesFixture.make(email: nil, altEmail: nil)
        try await f.set(#"{"confirmationEmail": true, "changeNotificationMethod": true, \#(Self.allowAdult)}"#)
        try await f.run { client, session async throws in
            #expect(try await f.submit(client, session, #"{"notificationMethod": "phone"}"#).outcome("notificationMethod") == "applied")
        }
        #expect(try await f.outbox().isEmpty)
    }

    @Test("Clear the appropriate patron code checkboxes to prevent these patrons from requesting account updates online")
    func patronCodeNotAllowed() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"changeNotificationMethod": true, "updatePatronTypes": ["JUVENILE"]}"#)
        let before = try await f.patron("notification_method")
        try await f.run { client, session async throws in
            let response = try await f.submit(client, session, #"{"notificationMethod": "text"}"#)
            #expect(response.status == .forbidden)
            #expect(try response.problem().code == "patron_code_not_allowed")
        }
        #expect(try await f.patron("notification_method") == before)
        #expect(try await f.outbox().isEmpty)
    }

    @Test("a field whose change is not allowed is refused, while the others proceed")
    func fieldNotAllowed() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"changeNotificationMethod": true, \#(Self.allowAdult)}"#)
        try await f.run { client, session async throws in
            let response = try await f.submit(client, session, #"{"notificationMethod": "mail", "email": "x@example.org"}"#)
            #expect(response.outcome("notificationMethod") == "applied")
            #expect(response.outcome("email") == "refused")
        }
        #expect(try await f.patron("email") == "ada@mail.example.com")
    }

    @Test("patrons may opt out only of the reminder notices the options offer")
    func noticeOptOuts() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"optOutAlmostOverdueAutoRenew": true, "optOutInactivePatron": true}"#)
        try await f.run { client, session async throws in
            let headers = pacHeaders(f.fixture.credentials.pacClientKey, session: session)
            var response = try await client.execute(uri: "/pac/v1/notice-opt-outs", method: .put, headers: headers,
                body: ByteBuffer(string: #"{"almostOverdueAutoRenew": true}"#))
            #expect(response.status == .ok)
            #expect(response.object["almostOverdueAutoRenew"] as? Bool == true)
            response = try await client.execute(uri: "/pac/v1/notice-opt-outs", method: .put, headers: headers,
                body: ByteBuffer(string: #"{"patronRecordExpiration": true}"#))
            #expect(response.status == .unprocessableContent)
            #expect(try response.problem().errors?.first?.code == "optout_not_offered")
            let options = try await client.execute(uri: "/pac/v1/options", method: .get, headers: headers)
            #expect(options.object["optOuts"] as? [String] == ["almostOverdueAutoRenew", "inactivePatron"])
        }
        #expect(try await f.patron("exclude_almost_overdue_auto_renew") == "true")
        #expect(try await f.patron("exclude_patron_rec_expiration") == "false")
    }

    @Test("an Idempotency-Key makes a resent submission return the first answer without a second request")
    func idempotentResubmission() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"phoneChange": "request", "confirmationEmail": true, \#(Self.allowAdult)}"#)
        try await f.run { client, session async throws in
            let first = try await f.submit(client, session, #"{"phone": "312-555-0111"}"#, key: "abc-1")
            let second = try await f.submit(client, session, #"{"phone": "312-555-0111"}"#, key: "abc-1")
            #expect(String(buffer: first.body) == String(buffer: second.body))
        }
        #expect(try await f.outbox().count == 2)  // one staff e-mail, one confirmation
        let events = try await f.fixture.adminScalar("select count(*) from ps.change_request_event where patron_id = \(f.patronID) and event = 'pending'", as: Int.self)
        #expect(events == 1)
    }

    @Test("a new submission while one is pending merges into it field by field, keeping the earlier value in history")
    func pendingSubmissionsMerge() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"phoneChange": "request", "emailChange": "request", \#(Self.allowAdult)}"#)
        try await f.run { client, session async throws in
            let first = try await f.submit(client, session, #"{"phone": "312-555-0111"}"#)
            let second = try await f.submit(client, session, #"{"phone": "312-555-0122", "email": "new@example.org"}"#)
            #expect(first.object["requestId"] as? Int == second.object["requestId"] as? Int)
        }
        try await f.fixture.asAdmin { c async throws in
            let fields = try await c.query("select field, new_value #>> '{}' as v from ps.change_request_field where patron_id = \(f.patronID) order by field")
            #expect(try fields.map { try $0.decode("v", as: String.self) } == ["new@example.org", "312-555-0122"])
            #expect(try await c.query("select count(*) from ps.change_request_event where patron_id = \(f.patronID) and event = 'superseded'").scalar(Int.self) == 1)
        }
    }

    @Test("staff see the queue oldest first, approve or reject per field, and the block is lifted when no field remains pending")
    func staffResolvePerField() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"phoneChange": "request", "emailChange": "request", \#(Self.allowAdult)}"#)
        let staff = f.fixture.tokens["RPL/circulation_staff"]!
        try await f.run { client, session async throws in
            _ = try await f.submit(client, session, #"{"phone": "312-555-0123", "email": "ada.verified@example.org"}"#)
            var response = try await client.call(.get, "/staff/v1/change-requests", token: staff)
            let request = try #require(response.array.first)
            let id = try #require(request["requestId"] as? Int)
            #expect((request["fields"] as? [[String: Any]])?.count == 2)
            response = try await client.call(.get, "/staff/v1/change-requests?branchId=\(f.fixture.branches["MVL-CENTRAL"]!)", token: staff)
            #expect(response.array.isEmpty)
            response = try await client.call(.post, "/staff/v1/change-requests/\(id)/fields/phone/decision", token: staff, json: #"{"decision":"approved"}"#)
            #expect(response.status == .ok)
            #expect(try await f.verifyBlocked(), "one field still pending")
            response = try await client.call(.post, "/staff/v1/change-requests/\(id)/fields/email/decision", token: staff,
                json: #"{"decision":"rejected","reason":"Could not confirm the address"}"#)
            #expect(response.object["status"] as? String == "resolved")
            response = try await client.call(.post, "/staff/v1/change-requests/\(id)/fields/email/decision", token: staff, json: #"{"decision":"approved"}"#)
            #expect(response.status == .conflict)
            #expect(try response.problem().code == "already_decided")
            // Another institution's staff cannot see or decide it.
            response = try await client.call(.post, "/staff/v1/change-requests/\(id)/fields/phone/decision", token: f.fixture.tokens["LDL/circulation_staff"]!, json: #"{"decision":"approved"}"#)
            #expect(response.status == .notFound)
            response = try await client.call(.get, "/staff/v1/patrons/\(f.patronID)/change-history", token: staff)
            let events = response.array.compactMap { $0["event"] as? String }
            #expect(events.contains("block_placed") && events.contains("approved") && events.contains("rejected") && events.contains("block_lifted"))
        }
        #expect(try await f.patron("phone1") == "312-555-0123")
        #expect(try await f.patron("email") == "ada@mail.example.com")
        #expect(try await f.verifyBlocked() == false)
    }

    @Test("the staff queue comes a page at a time, oldest first: following the last requestId visits every pending request once; a request decided since still marks its place; another library's request or an unknown one is 404")
    func queuePages() async throws {
        let f = try await AccountUpdatesFixture.make()
        let (rpl, ldl) = (f.fixture.institutions["RPL"]!, f.fixture.institutions["LDL"]!)
        // Seven pending requests of seven patrons, the later ones submitted earlier, three at the same moment
        // (the id orders those).
        let expected = try await f.fixture.asAdmin { c async throws -> [Int64] in
            try await c.query("""
                with r as (
                    insert into ps.change_request (institution_id, patron_id, branch_id, submitted_at)
                    select institution_id, patron_id, registered_branch_id, timestamptz '2026-01-01' + make_interval(hours => least(8 - n, 5)::int)
                    from (select institution_id, patron_id, registered_branch_id, row_number() over (order by patron_id desc) as n
                          from ps.patron where institution_id = \(rpl) order by patron_id desc limit 7) p
                    returning institution_id, request_id, patron_id)
                insert into ps.change_request_field (institution_id, request_id, patron_id, field, new_value, state)
                select institution_id, request_id, patron_id, 'phone', '"312-555-0100"', 'pending' from r
                """)
            return try await c.query("select request_id from ps.change_request where institution_id = \(rpl) and status = 'pending' order by submitted_at, request_id")
                .map { try $0.decode("request_id", as: Int64.self) }
        }
        let other = try await f.fixture.asAdmin { c async throws -> Int64 in
            try await c.query("""
                with r as (
                    insert into ps.change_request (institution_id, patron_id, branch_id)
                    select institution_id, patron_id, registered_branch_id from ps.patron where institution_id = \(ldl) limit 1
                    returning institution_id, request_id, patron_id)
                insert into ps.change_request_field (institution_id, request_id, patron_id, field, new_value, state)
                select institution_id, request_id, patron_id, 'phone', '"312-555-0100"', 'pending' from r returning request_id
                """).scalar(Int64.self)
        }
        #expect(expected.count == 7)
        let staff = f.fixture.tokens["RPL/circulation_staff"]!
        try await withApp(database: f.fixture.database) { client async throws in
            var seen: [Int64] = [], after: Int64? = nil, pages = 0
            repeat {
                let response = try await client.call(.get, "/staff/v1/change-requests?limit=3" + (after.map { "&afterRequestId=\($0)" } ?? ""), token: staff)
                #expect(response.status == .ok)
                let ids = response.array.compactMap { ($0["requestId"] as? Int).map(Int64.init) }
                #expect(ids.count <= 3)
                seen += ids
                after = ids.count == 3 ? ids.last : nil
                pages += 1
            } while after != nil && pages < 10
            #expect(seen == expected, "every pending request once, oldest first")
            #expect(pages == 3)

            // A request decided after its page was read still marks where the next page starts.
            try await f.fixture.asAdmin { c async throws in
                try await c.query("update ps.change_request set status = 'resolved' where request_id = \(expected[2])")
            }
            var response = try await client.call(.get, "/staff/v1/change-requests?limit=3&afterRequestId=\(expected[2])", token: staff)
            #expect(response.array.compactMap { ($0["requestId"] as? Int).map(Int64.init) } == Array(expected[3...5]))
            // Without limit, the first page holds at most 500; the queue here holds six.
            response = try await client.call(.get, "/staff/v1/change-requests", token: staff)
            #expect(response.array.count == 6)

            for cursor in [other, 999_999_999] {
                response = try await client.call(.get, "/staff/v1/change-requests?afterRequestId=\(cursor)", token: staff)
                #expect(response.status == .notFound)
                #expect(try response.problem().code == "not_found")
            }
        }
    }

    @Test("two staff acting on the same request at once cannot both apply it")
    func concurrentDecisions() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"phoneChange": "request", \#(Self.allowAdult)}"#)
        let tokens = [f.fixture.tokens["RPL/circulation_staff"]!, f.fixture.tokens["RPL/circulation_supervisor"]!]
        try await f.run { client, session async throws in
            let submitted = try await f.submit(client, session, #"{"phone": "312-555-0177"}"#)
            let id = try #require(submitted.object["requestId"] as? Int)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for token in tokens + tokens {
                    group.addTask {
                        try await client.call(.post, "/staff/v1/change-requests/\(id)/fields/phone/decision", token: token, json: #"{"decision":"approved"}"#).status.code
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.sorted() == [200, 409, 409, 409])
        }
        let approvals = try await f.fixture.adminScalar("select count(*) from ps.change_request_event where patron_id = \(f.patronID) and event = 'approved'", as: Int.self)
        #expect(approvals == 1)
    }

    @Test("admins read the effective options with the level each came from, and a save with one bad option saves nothing")
    func adminOptions() async throws {
        let f = try await AccountUpdatesFixture.make()
        let admin = f.fixture.tokens["RPL/library_admin"]!
        try await withApp(database: f.fixture.database) { client async throws in
            var response = try await client.call(.put, "/staff/v1/patron-access-options", token: admin,
                json: #"{"level":"library","institutionId":\#(f.institution),"options":{"addressChange":"request","emailChange":"direct"}}"#)
            #expect(response.status == .ok)
            response = try await client.call(.put, "/staff/v1/patron-access-options", token: admin,
                json: #"{"level":"branch","branchId":\#(f.registeredBranch),"options":{"emailChange":"request","phoneChange":"sometimes"}}"#)
            #expect(response.status == .unprocessableContent)
            response = try await client.call(.get, "/staff/v1/patron-access-options/branches/\(f.registeredBranch)", token: admin)
            let fields = try #require(response.object["fields"] as? [String: Any])
            #expect(fields["address"] as? String == "request")
            #expect(fields["email"] as? String == "direct", "the half-valid branch save changed nothing")
            let sources = try #require(response.object["sources"] as? [String: [String: Any]])
            #expect(sources["pac.address_change"]?["level"] as? String == "library")
            #expect(sources["pac.phone_change"]?["level"] as? String == "default")
            response = try await client.call(.put, "/staff/v1/patron-access-options", token: f.fixture.tokens["LDL/library_admin"]!,
                json: #"{"level":"library","institutionId":\#(f.institution),"options":{"addressChange":"direct"}}"#)
            #expect(response.status.code >= 400 && response.status.code < 500)
        }
        let audit = try await f.fixture.adminScalar("select count(*) from ps.setting_change where name like 'pac.%' and changed_by like 'staff:%'", as: Int.self)
        #expect(audit == 2)
    }
}

@Suite("Patron codes that may request account updates")
struct PatronCodeListTests {
    @Test("You can click Add to add patron codes or Delete to delete them")
    func addAndRemoveCodes() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"changeNotificationMethod": true, "updatePatronTypes": ["JUVENILE"]}"#)
        let admin = f.fixture.tokens["RPL/library_admin"]!
        try await withApp(database: f.fixture.database) { client async throws in
            var response = try await client.call(.put, "/staff/v1/patron-access-options/patron-codes/ADULT?level=branch&branchId=\(f.registeredBranch)", token: admin)
            #expect(response.object["updatePatronTypes"] as? [String] == ["ADULT", "JUVENILE"], "starts from the inherited list")
            response = try await client.call(.put, "/staff/v1/patron-access-options/patron-codes/WIZARD?level=library", token: admin)
            #expect(response.status == .notFound, "a code no patron type has is an unknown reference")
            #expect(try response.problem().code == "reference_not_found")
            let session = try await f.signIn(client)
            #expect(try await f.submit(client, session, #"{"notificationMethod": "text"}"#).outcome("notificationMethod") == "applied")
            response = try await client.call(.delete, "/staff/v1/patron-access-options/patron-codes/adult?level=branch&branchId=\(f.registeredBranch)", token: admin)
            #expect(response.object["updatePatronTypes"] as? [String] == ["JUVENILE"])
            #expect(try await f.submit(client, session, #"{"notificationMethod": "mail"}"#).status == .forbidden)
        }
    }
}
