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

/// What schemathesis (every check, Tests/reliability/schemathesis.sh) found where the service and its
/// request schemas disagreed: each case is a request the document calls valid or invalid, answered as
/// the document says.
@Suite("Requests are answered as their schemas say")
struct ContractAlignmentTests {
    @Test("a staff route without a bearer token is 401 before its body is read, even an import file that does not parse")
    func unauthenticatedBeforeBody() async throws {
        let fixture = try await DemoFixture.make()
        try await withApp(database: fixture.database) { client async throws in
            let png = ByteBuffer(bytes: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00])
            let response = try await client.execute(uri: "/staff/v1/imports?kind=patrons&dryRun=true", method: .post,
                headers: [.contentType: "application/octet-stream"], body: png)
            #expect(response.status == .unauthorized)
            #expect(try response.problem().code == "unauthenticated")
            let json = try await client.execute(uri: "/staff/v1/bills", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: "{not json"))
            #expect(json.status == .unauthorized, "not 400 malformed_json")
        }
    }

    @Test("an id in a body that the caller cannot see (unknown, or another library's) is 404 reference_not_found naming the field")
    func referencesInBodies() async throws {
        let fixture = try await DemoFixture.make()
        let (otherType, otherBranch) = try await fixture.asAdmin { connection in
            (try await connection.query("select patron_type_id from ps.patron_type where institution_id = \(fixture.institutions["MVL"]!) limit 1").scalar(Int64.self),
             try await connection.query("select branch_id from ps.branch where institution_id = \(fixture.institutions["MVL"]!) limit 1").scalar(Int64.self))
        }
        let admin = fixture.tokens["RPL/library_admin"]!
        try await withApp(database: fixture.database) { client async throws in
            var response = try await client.call(.post, "/staff/v1/patrons", token: admin, json: #"""
                {"barcode": "ALIGN-0001", "firstName": "Ada", "lastName": "Reyes", "registeredBranchId": \#(fixture.branches["RPL-MAIN"]!),
                 "patronTypeId": \#(otherType)}
                """#)
            #expect(response.status == .notFound)
            #expect(try response.problem().code == "reference_not_found")
            #expect(try response.problem().errors?.map { "\($0.field):\($0.code)" } == ["patronTypeId:not_found"])
            response = try await client.call(.put, "/staff/v1/settings", token: admin,
                json: #"{"name": "circulation.loan_period_days", "level": "branch", "branchId": \#(otherBranch), "value": 7}"#)
            #expect(response.status == .notFound, "another library's branch")
            #expect(try response.problem().code == "branch_not_found")
            let count = try await fixture.asAdmin { connection in
                try await connection.query("select count(*) from ps.patron where barcode = 'ALIGN-0001'").scalar(Int64.self)
            }
            #expect(count == 0, "nothing is half-written")
        }
    }

    @Test("a consortium administrator posts a bill without naming a library: it is owed to the patron's home library")
    func consortiumAdminBill() async throws {
        let fixture = try await DemoFixture.make()
        let patron = try await fixture.asAdmin { connection in
            try await connection.query("select patron_id from ps.patron where institution_id = \(fixture.institutions["LDL"]!) limit 1").scalar(Int64.self)
        }
        try await withApp(database: fixture.database) { client async throws in
            let response = try await client.call(.post, "/staff/v1/bills", token: fixture.tokens["consortium_admin"]!,
                json: #"{"patronId": \#(patron), "kind": "other", "amountMinor": 250}"#)
            #expect(response.status == .created)
            #expect(response.object["institutionId"] as? Int == Int(fixture.institutions["LDL"]!))
        }
    }

    @Test("a body a SQL rule validates reaches it as sent: integral numbers written 365.0 count as integers, and null inside an unknown field is named as unknown")
    func sqlValidatedBodies() async throws {
        let fixture = try await DemoFixture.make()
        let admin = fixture.tokens["RPL/library_admin"]!
        try await withApp(database: fixture.database) { client async throws in
            var response = try await client.call(.put, "/staff/v1/accruing-fines-policy", token: admin,
                json: #"{"dailyFineMinor": 25.0, "maxFineMinor": 365.0, "countsTowardBilledLimit": true}"#)
            #expect(response.status == .ok)
            #expect(response.object["maxFineMinor"] as? Int == 365)
            response = try await client.call(.put, "/staff/v1/overdue-suspension-policy", token: admin,
                json: #"{"minutesPerDayOverdue": 60, "note": {"nested": [null, {"x": null}]}}"#)
            #expect(response.status == .unprocessableContent)
            #expect(try response.problem().errors?.map { "\($0.field):\($0.code)" } == ["note:unknown_field"])
        }
    }

    @Test("a consortium administrator's system-level Patron Access Options answer the options in force, not empty values")
    func systemLevelAccessOptions() async throws {
        let fixture = try await DemoFixture.make()
        try await withApp(database: fixture.database) { client async throws in
            let response = try await client.call(.put, "/staff/v1/patron-access-options", token: fixture.tokens["consortium_admin"]!,
                json: #"{"level": "system", "options": {"addressChange": "request"}}"#)
            #expect(response.status == .ok)
            #expect(response.object["saved"] as? Bool == true)
            #expect(response.object["branchId"] is Int)
            #expect((response.object["fields"] as? [String: Any])?["address"] is String, "a mode, however the levels below resolve it")
        }
    }

    @Test("every money amount carries its currency: eligibility's money conditions, a patron's totals per library owed, membership fees, fine and loan limit settings")
    func currencyBesideMoney() async throws {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!, branch = fixture.branches["RPL-MAIN"]!
        let (patron, patronType) = try await fixture.asAdmin { connection in
            let row = try await connection.query("select patron_id, patron_type_id from ps.patron where institution_id = \(rpl) limit 1").single()
            return (try row.decode("patron_id", as: Int64.self), try row.decode("patron_type_id", as: Int64.self))
        }
        let admin = fixture.tokens["RPL/library_admin"]!
        try await withApp(database: fixture.database) { client async throws in
            #expect(try await client.call(.post, "/staff/v1/bills", token: admin,
                json: #"{"patronId": \#(patron), "kind": "other", "amountMinor": 300}"#).status == .created)
            var response = try await client.call(.get, "/staff/v1/patrons/\(patron)/bills", token: admin)
            let totals = try #require(response.object["totals"] as? [[String: Any]])
            #expect(totals.count == 1)
            #expect(totals.first?["currency"] as? String == "USD")
            #expect(totals.first?["institutionId"] as? Int == Int(rpl))
            #expect(totals.first?["postedMinor"] as? Int == response.object["postedMinor"] as? Int)
            response = try await client.call(.get, "/staff/v1/reports/outstanding-bills", token: admin)
            #expect((response.object["pageBalanceByCurrency"] as? [String: Int])?["USD"] == response.object["pageBalanceMinor"] as? Int)
            response = try await client.call(.get, "/staff/v1/patrons/\(patron)/eligibility?branchId=\(branch)", token: admin)
            for condition in try #require(response.object["conditions"] as? [[String: Any]]) {
                let money = ["max_loan_value", "max_outstanding_billed", "max_amount_waived"].contains(condition["condition"] as? String ?? "")
                #expect((condition["currency"] as? String == "USD") == money, "\(condition["condition"] ?? "")")
            }
            response = try await client.call(.post, "/staff/v1/membership-policies", token: admin,
                json: #"{"name": "Annual", "feeMinor": 1500, "periodDays": 365}"#)
            #expect(response.object["currency"] as? String == "USD")
            response = try await client.call(.get, "/staff/v1/accruing-fines-policy", token: admin)
            #expect(response.object["currency"] as? String == "USD")
            response = try await client.call(.put, "/staff/v1/loan-limit-policies/\(patronType)", token: admin,
                json: #"{"verifiedLoanValueLimitMinor": 5000}"#)
            #expect(response.object["currency"] as? String == "USD")
        }
    }

    @Test("the outstanding bills report pages by bill id: following nextAfterBillId visits each of the library's outstanding bills once, in order, and a consortium administrator's pages every library's; each bill is its row of ps.outstanding_bills_report with every column in camelCase, and each page's balance is its own bills', in total and per currency")
    func keysetPages() async throws {
        let fixture = try await DemoFixture.make()
        let (rpl, ldl) = (fixture.institutions["RPL"]!, fixture.institutions["LDL"]!)
        let expected = try await fixture.asAdmin { connection -> (library: [Int64], all: [Int64]) in
            // LDL keeps its accounts in another currency, and the two libraries' bills alternate, so a
            // consortium administrator's pages mix currencies.
            try await connection.query("update ps.library set currency = 'CAD' where institution_id = \(ldl)")
            for n in 1...5 {
                for institution in [rpl, ldl] {
                    try await connection.query("""
                        insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at, state)
                        select institution_id, patron_id, 'other', 100 + \(n) * 7 + patron_id % 5, now(), case when \(n) % 4 = 0 then 'paid' else 'outstanding' end
                        from (select institution_id, patron_id from ps.patron where institution_id = \(institution) order by patron_id limit 3) p
                        """)
                }
            }
            let library = try await connection.query("select bill_id from ps.bill where institution_id = \(rpl) and state = 'outstanding' order by bill_id")
                .rows.map { try $0.decode("bill_id", as: Int64.self) }
            let all = try await connection.query("select bill_id from ps.bill where state = 'outstanding' order by bill_id")
                .rows.map { try $0.decode("bill_id", as: Int64.self) }
            return (library, all)
        }
        // The page names its keys itself (cheaper than renaming each row's): they must stay the view's columns.
        let rows = try await fixture.asAdmin { connection in
            try await connection.query("select bill_id, ps.api(to_jsonb(r))::text as api from ps.outstanding_bills_report r")
                .rows.map { (try $0.decode("bill_id", as: Int64.self), try $0.decode("api", as: String.self)) }
        }
        #expect(rows.count == expected.all.count)
        try await withApp(database: fixture.database) { client async throws in
            var answered: [Int64: [String: Any]] = [:]
            for (token, want) in [(fixture.tokens["RPL/report_reader"]!, expected.library), (fixture.tokens["consortium_admin"]!, expected.all)] {
                var seen: [Int64] = [], after: Int? = nil, pages = 0, currencies: Set<Int> = []
                repeat {
                    let response = try await client.call(.get, "/staff/v1/reports/outstanding-bills?limit=4" + (after.map { "&afterBillId=\($0)" } ?? ""),
                        token: token)
                    #expect(response.status == .ok)
                    let bills = try #require(response.object["bills"] as? [[String: Any]])
                    #expect(bills.count <= 4)
                    seen += bills.compactMap { ($0["billId"] as? Int).map(Int64.init) }
                    for bill in bills { if let id = bill["billId"] as? Int { answered[Int64(id)] = bill } }
                    // The page's balance, in total and per currency, is its own bills'.
                    let balances = bills.map { ($0["currency"] as? String ?? "?", $0["balanceMinor"] as? Int ?? 0) }
                    let byCurrency = Dictionary(balances, uniquingKeysWith: +)
                    #expect(response.object["pageBalanceMinor"] as? Int == balances.reduce(0) { $0 + $1.1 })
                    #expect(response.object["pageBalanceByCurrency"] as? [String: Int] == byCurrency, "page \(pages): \(response.object)")
                    currencies.insert(byCurrency.count)
                    after = response.object["nextAfterBillId"] as? Int
                    #expect(after == (bills.count == 4 ? bills.last?["billId"] as? Int : nil))
                    pages += 1
                } while after != nil && pages < 100
                #expect(seen == want, "every outstanding bill once, in bill id order")
                #expect(want.count > 4, "more than one page")
                #expect(currencies.contains(token == fixture.tokens["consortium_admin"]! ? 2 : 1), "pages in \(currencies) currencies")
                // After the last bill, a page is empty: no bills, no balance, no next page.
                let response = try await client.call(.get, "/staff/v1/reports/outstanding-bills?limit=4&afterBillId=\(want.last!)", token: token)
                #expect((response.object["bills"] as? [Any])?.isEmpty == true)
                #expect(response.object["pageBalanceMinor"] as? Int == 0)
                #expect((response.object["pageBalanceByCurrency"] as? [String: Int])?.isEmpty == true)
                #expect(response.object["nextAfterBillId"] is NSNull)
            }
            for (id, text) in rows {
                let row = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                let bill = try #require(answered[id])
                #expect(NSDictionary(dictionary: bill).isEqual(to: row), "bill \(id): \(bill) against the view's \(row)")
            }
        }
    }

    @Test("the staff search finds patrons by the start of the last name and by barcode in any case, a % in the text is a character, and another library's patrons stay hidden")
    func patronSearch() async throws {
        let fixture = try await DemoFixture.make()
        let (rpl, ldl) = (fixture.institutions["RPL"]!, fixture.institutions["LDL"]!)
        let (mine, theirs) = try await fixture.asAdmin { connection -> (Int64, Int64) in
            func add(_ institution: Int64, _ barcode: String) async throws -> Int64 {
                try await connection.query("""
                    insert into ps.patron (institution_id, barcode, registered_branch_id, patron_type_id, first_name, last_name)
                    select b.institution_id, \(barcode), b.branch_id, t.patron_type_id, 'Quentin', 'Quarrington'
                    from ps.branch b join ps.patron_type t using (institution_id) where b.institution_id = \(institution) limit 1
                    returning patron_id
                    """).scalar(Int64.self)
            }
            return (try await add(rpl, "SEARCH-RPL-1"), try await add(ldl, "SEARCH-LDL-1"))
        }
        let staff = fixture.tokens["RPL/circulation_staff"]!
        try await withApp(database: fixture.database) { client async throws in
            func ids(_ query: String, _ token: String) async throws -> [Int64] {
                let response = try await client.call(.get, "/staff/v1/patrons?" + query, token: token)
                #expect(response.status == .ok)
                return response.array.compactMap { ($0["patronId"] as? Int).map(Int64.init) }
            }
            #expect(try await ids("name=qUARRING", staff) == [mine], "a prefix of the last name, any case, this library only")
            #expect(try await ids("name=Quarr%25", staff).isEmpty, "% is a character, not a pattern")
            #expect(try await ids("barcode=search-rpl-1", staff) == [mine])
            #expect(try await ids("barcode=SEARCH-LDL-1", staff).isEmpty, "another library's patron is not found")
            #expect(Set(try await ids("name=quarrington", fixture.tokens["consortium_admin"]!)) == [mine, theirs])
        }
    }
}
