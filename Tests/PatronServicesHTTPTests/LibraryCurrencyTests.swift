import HTTPTypes
import HummingbirdTesting
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@Suite("A library's currency holds its recorded money")
struct LibraryCurrencyTests {
    @Test("a library's currency cannot change once it holds bills or item costs (amounts are never converted): 409 currency_in_use, nothing changed; an unused library's can")
    func currencyIsFixedOnceMoneyIsRecorded() async throws {
        let fixture = try await DemoFixture.make()
        let admin = fixture.tokens["consortium_admin"]!
        let rpl = fixture.institutions["RPL"]!
        try await fixture.asAdmin { connection in
            try await connection.query("""
                insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at, state)
                select institution_id, patron_id, 'other', 500, now(), 'outstanding' from ps.patron where institution_id = \(rpl) limit 1
                """)
        }
        try await withApp(database: fixture.database) { client async throws in
            var response = try await client.call(.patch, "/staff/v1/libraries/\(rpl)", token: admin, json: #"{"currency":"CAD","name":"Renamed"}"#)
            #expect(response.status == .conflict)
            #expect(try response.problem().code == "currency_in_use")
            response = try await client.call(.get, "/staff/v1/libraries/\(rpl)", token: admin)
            #expect(response.object["currency"] as? String == "USD")
            #expect(response.object["name"] as? String != "Renamed", "nothing of the refused change is written")
            // Naming the currency it has is no change.
            response = try await client.call(.patch, "/staff/v1/libraries/\(rpl)", token: fixture.tokens["RPL/library_admin"]!, json: #"{"currency":"USD"}"#)
            #expect(response.status == .ok)

            // A new library with no money recorded may change currency, until an item with a cost arrives.
            response = try await client.call(.post, "/staff/v1/libraries", token: admin,
                json: #"{"code":"NEW","name":"New Library","currency":"USD","timeZone":"America/Denver"}"#)
            let library = try #require(response.object["institutionId"] as? Int)
            response = try await client.call(.patch, "/staff/v1/libraries/\(library)", token: admin, json: #"{"currency":"CAD"}"#)
            #expect(response.status == .ok)
            #expect(response.object["currency"] as? String == "CAD")
            try await fixture.asAdmin { connection in
                try await connection.query("""
                    with b as (insert into ps.branch (institution_id, code, name, time_zone) values (\(library), 'NEW-1', 'Main', 'America/Denver') returning branch_id)
                    insert into ps.item (institution_id, branch_id, barcode, cost_minor) select \(library), branch_id, 'NEW-ITEM-1', 2500 from b
                    """)
            }
            response = try await client.call(.patch, "/staff/v1/libraries/\(library)", token: admin, json: #"{"currency":"EUR"}"#)
            #expect(try response.problem().code == "currency_in_use")
        }
    }

    /// A session of this test's database waiting for a lock.
    static func someoneWaits(_ outside: PostgresConnection) async throws -> Bool {
        try await outside.query("""
            select count(*) from pg_locks l join pg_stat_activity a using (pid)
            where not l.granted and a.datname = current_database()
            """).scalar(Int.self) > 0
    }

    /// An owner's session in a transaction, as a consortium administrator.
    static func openTransaction(_ fixture: DemoFixture) async throws -> PostgresConnection {
        let connection = try await PostgresConnection.connect(fixture.database.owner)
        try await connection.execute("begin; select set_config('ps.role', 'consortium_admin', true)")
        return connection
    }

    /// A library with no money recorded, in USD.
    static func newLibrary(_ code: String, client: some TestClientProtocol, token: String) async throws -> Int64 {
        let response = try await client.call(.post, "/staff/v1/libraries", token: token,
            json: #"{"code":"\#(code)","name":"\#(code) Library","currency":"USD","timeZone":"America/Denver"}"#)
        return Int64(try #require(response.object["institutionId"] as? Int))
    }

    @Test("a currency change arriving while a library's first bill is being raised waits for it, and is then refused: 409 currency_in_use")
    func currencyChangeWaitsForFirstBill() async throws {
        let fixture = try await DemoFixture.make()
        let admin = fixture.tokens["consortium_admin"]!
        let outside = try await PostgresConnection.connect(fixture.database.owner)
        let patron = try await outside.query("select patron_id from ps.patron order by patron_id limit 1").scalar(Int64.self)
        try await withApp(database: fixture.database) { client async throws in
            let library = try await Self.newLibrary("RACE1", client: client, token: admin)
            let billing = try await Self.openTransaction(fixture)
            try await billing.query("insert into ps.bill (institution_id, patron_id, kind, amount_minor) values (\(library), \(patron), 'other', 500)")
            let change = Task { try await client.call(.patch, "/staff/v1/libraries/\(library)", token: admin, json: #"{"currency":"CAD"}"#) }
            try await eventually(seconds: 30) { try await Self.someoneWaits(outside) }
            try await billing.execute("commit")
            let refused = try await change.value
            #expect(refused.status == .conflict)
            #expect(try refused.problem().code == "currency_in_use")
            #expect(try await outside.query("select currency from ps.library where institution_id = \(library)").scalar(String.self) == "USD")
            await billing.close()
        }
        await outside.close()
    }

    @Test("a library's first bill raised while a currency change is in progress waits for it, and is raised in the new currency")
    func firstBillWaitsForCurrencyChange() async throws {
        let fixture = try await DemoFixture.make()
        let admin = fixture.tokens["consortium_admin"]!
        let outside = try await PostgresConnection.connect(fixture.database.owner)
        let patron = try await outside.query("select patron_id from ps.patron order by patron_id limit 1").scalar(Int64.self)
        try await withApp(database: fixture.database) { client async throws in
            let library = try await Self.newLibrary("RACE2", client: client, token: admin)
            let changing = try await Self.openTransaction(fixture)
            try await changing.query("select ps.update_library(\(library), null, 'CAD', null, null)")
            let raising = Task {
                let billing = try await Self.openTransaction(fixture)
                let currency = try await billing.query("""
                    insert into ps.bill (institution_id, patron_id, kind, amount_minor, currency) values (\(library), \(patron), 'other', 500, 'USD')
                    returning currency
                    """).scalar(String.self)
                try await billing.execute("commit")
                await billing.close()
                return currency
            }
            try await eventually(seconds: 30) { try await Self.someoneWaits(outside) }
            try await changing.execute("commit")
            #expect(try await raising.value == "CAD")
            await changing.close()
        }
        await outside.close()
    }

    @Test("a currency change arriving while a library's first item is being costed waits for it, and is then refused: 409 currency_in_use")
    func currencyChangeWaitsForFirstItemCost() async throws {
        let fixture = try await DemoFixture.make()
        let admin = fixture.tokens["consortium_admin"]!
        let outside = try await PostgresConnection.connect(fixture.database.owner)
        try await withApp(database: fixture.database) { client async throws in
            let library = try await Self.newLibrary("RACE3", client: client, token: admin)
            let costing = try await Self.openTransaction(fixture)
            try await costing.query("""
                with b as (insert into ps.branch (institution_id, code, name, time_zone) values (\(library), 'RACE3-1', 'Main', 'America/Denver') returning branch_id)
                insert into ps.item (institution_id, branch_id, barcode) select \(library), branch_id, 'RACE3-ITEM' from b
                """)
            // Costing an item that exists, as an import's update does.
            try await costing.query("update ps.item set cost_minor = 2500 where barcode = 'RACE3-ITEM' and institution_id = \(library)")
            let change = Task { try await client.call(.patch, "/staff/v1/libraries/\(library)", token: admin, json: #"{"currency":"EUR"}"#) }
            try await eventually(seconds: 30) { try await Self.someoneWaits(outside) }
            try await costing.execute("commit")
            let refused = try await change.value
            #expect(refused.status == .conflict)
            #expect(try refused.problem().code == "currency_in_use")
            await costing.close()
        }
        await outside.close()
    }

    @Test("a circulation group's libraries keep one currency, since a patron's limits add amounts across the group: a library in another currency cannot join (409 currency_differs), and a library in a group with others cannot change its currency until it leaves")
    func circulationGroupKeepsOneCurrency() async throws {
        let fixture = try await DemoFixture.make()
        let admin = fixture.tokens["consortium_admin"]!
        try await withApp(database: fixture.database) { client async throws in
            var response = try await client.call(.post, "/staff/v1/circulation-groups", token: admin, json: #"{"name":"Border Group"}"#)
            let group = try #require(response.object["groupId"] as? Int)
            let rpl = fixture.institutions["RPL"]!
            #expect(try await client.call(.put, "/staff/v1/circulation-groups/\(group)/members/\(rpl)", token: admin).status == .ok)

            response = try await client.call(.post, "/staff/v1/libraries", token: admin,
                json: #"{"code":"NORTH","name":"North Library","currency":"CAD","timeZone":"America/Winnipeg"}"#)
            let north = try #require(response.object["institutionId"] as? Int)
            response = try await client.call(.put, "/staff/v1/circulation-groups/\(group)/members/\(north)", token: admin)
            #expect(response.status == .conflict)
            #expect(try response.problem().code == "currency_differs")
            response = try await client.call(.get, "/staff/v1/circulation-groups", token: admin)
            let members = response.array.first { $0["groupId"] as? Int == group }?["institutionIds"] as? [Int]
            #expect(members == [Int(rpl)], "nothing of the refused membership is written")

            // In USD it may join; then its currency stays while it has partners, and may change once it leaves.
            #expect(try await client.call(.patch, "/staff/v1/libraries/\(north)", token: admin, json: #"{"currency":"USD"}"#).status == .ok)
            #expect(try await client.call(.put, "/staff/v1/circulation-groups/\(group)/members/\(north)", token: admin).status == .ok)
            response = try await client.call(.patch, "/staff/v1/libraries/\(north)", token: admin, json: #"{"currency":"CAD"}"#)
            #expect(response.status == .conflict)
            #expect(try response.problem().code == "currency_differs")
            #expect(try await client.call(.delete, "/staff/v1/circulation-groups/\(group)/members/\(north)", token: admin).status == .ok)
            response = try await client.call(.patch, "/staff/v1/libraries/\(north)", token: admin, json: #"{"currency":"CAD"}"#)
            #expect(response.object["currency"] as? String == "CAD")
        }
    }

    @Test("a library whose policies name amounts (a fine rate, a fee, a limit) cannot change currency until they are cleared: 409 currency_in_use naming them, since amounts are never converted")
    func configuredAmountsHoldTheCurrency() async throws {
        let fixture = try await DemoFixture.make()
        let admin = fixture.tokens["consortium_admin"]!
        try await withApp(database: fixture.database) { client async throws in
            let library = try await Self.newLibrary("CONF", client: client, token: admin)
            var response = try await client.call(.put, "/staff/v1/accruing-fines-policy?institutionId=\(library)", token: admin,
                json: #"{"dailyFineMinor":25}"#)
            #expect(response.status == .ok)
            response = try await client.call(.patch, "/staff/v1/libraries/\(library)", token: admin, json: #"{"currency":"JPY"}"#)
            #expect(response.status == .conflict)
            let problem = try response.problem()
            #expect(problem.code == "currency_in_use")
            #expect(problem.detail.contains("accruing fines policy"), "\(problem.detail)")
            #expect(try await client.call(.put, "/staff/v1/accruing-fines-policy?institutionId=\(library)", token: admin,
                json: #"{"dailyFineMinor":0}"#).status == .ok)
            response = try await client.call(.patch, "/staff/v1/libraries/\(library)", token: admin, json: #"{"currency":"JPY"}"#)
            #expect(response.object["currency"] as? String == "JPY")
        }
    }
}
