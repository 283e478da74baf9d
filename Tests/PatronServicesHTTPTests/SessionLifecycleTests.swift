import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@testable import PatronServicesHTTP

/// Patron sessions and staff tokens end when they should, and racing requests get clear answers.
@Suite("Session lifecycle, token expiry, and races answered well")
struct SessionLifecycleTests {
    func signIn(_ client: any TestClientProtocol, _ fixture: DemoFixture, key: String? = nil) async throws -> String {
        let response = try await client.pac(.post, "/pac/v1/sign-in", key: key ?? fixture.credentials.pacClientKey,
            json: #"{"barcode":"\#(fixture.credentials.patronBarcode)","pin":"1234"}"#)
        #expect(response.status == .created)
        return try #require(response.object["sessionToken"] as? String)
    }

    func account(_ client: any TestClientProtocol, key: String, session: String) async throws -> TestResponse {
        try await client.pac(.get, "/pac/v1/account", key: key, session: session)
    }

    /// A new PAC client key for a branch, issued by the consortium admin through the API.
    func newKey(_ client: any TestClientProtocol, _ fixture: DemoFixture, branch: String) async throws -> (id: Int, key: String) {
        let response = try await client.call(.post, "/staff/v1/pac-clients", token: fixture.tokens["consortium_admin"]!,
            json: #"{"branchId":\#(fixture.branches[branch]!),"label":"test"}"#)
        #expect(response.status == .created)
        return (try #require(response.object["clientId"] as? Int), try #require(response.object["clientKey"] as? String))
    }

    @Test("a patron signs out with DELETE /pac/v1/session, and the session is refused afterwards")
    func signOut() async throws {
        let fixture = try await DemoFixture.make()
        let key = fixture.credentials.pacClientKey
        try await withApp(database: fixture.database) { client async throws in
            let session = try await signIn(client, fixture)
            #expect(try await account(client, key: key, session: session).status == .ok)
            let response = try await client.pac(.delete, "/pac/v1/session", key: key, session: session)
            #expect(response.status == .ok)
            #expect(response.object["signedOut"] as? Bool == true)
            let after = try await account(client, key: key, session: session)
            #expect(after.status == .unauthorized)
            #expect(try after.problem().code == "session_expired")
            #expect(try await client.pac(.delete, "/pac/v1/session", key: key).status == .unauthorized)
        }
    }

    @Test("a session dies with its patron record")
    func diesWithPatron() async throws {
        let fixture = try await DemoFixture.make()
        let key = fixture.credentials.pacClientKey
        try await withApp(database: fixture.database) { client async throws in
            let session = try await signIn(client, fixture)
            let patron = try #require(try await account(client, key: key, session: session).object["patronId"] as? Int)
            let admin = fixture.tokens["consortium_admin"]!
            #expect(try await client.call(.delete, "/staff/v1/patrons/\(patron)", token: admin).status == .ok)
            #expect(try await account(client, key: key, session: session).status == .unauthorized)
        }
    }

    @Test("a session dies with the PAC key that issued it, even through another key of the same library")
    func diesWithIssuingKey() async throws {
        let fixture = try await DemoFixture.make()
        try await withApp(database: fixture.database) { client async throws in
            let issuer = try await newKey(client, fixture, branch: "RPL-MAIN")
            let other = try await newKey(client, fixture, branch: "RPL-MAIN")
            let session = try await signIn(client, fixture, key: issuer.key)
            #expect(try await account(client, key: other.key, session: session).status == .ok)
            #expect(try await client.call(.delete, "/staff/v1/pac-clients/\(issuer.id)", token: fixture.tokens["consortium_admin"]!).status == .ok)
            let after = try await account(client, key: other.key, session: session)
            #expect(after.status == .unauthorized)
            #expect(try after.problem().code == "session_expired")
        }
    }

    @Test("a session is honoured only through a key of the library that issued it")
    func onlyThroughOwnLibrary() async throws {
        let fixture = try await DemoFixture.make()
        try await withApp(database: fixture.database) { client async throws in
            let session = try await signIn(client, fixture)
            let lakeshore = try await newKey(client, fixture, branch: "LDL-HARBOR")
            #expect(try await account(client, key: lakeshore.key, session: session).status == .unauthorized)
            #expect(try await account(client, key: fixture.credentials.pacClientKey, session: session).status == .ok)
        }
    }

    @Test("a staff token must expire in the future; without an expiry it gets the configured lifetime (365 days)")
    func tokenExpiry() async throws {
        let fixture = try await DemoFixture.make()
        let admin = fixture.tokens["RPL/library_admin"]!
        let rpl = fixture.institutions["RPL"]!
        try await withApp(database: fixture.database) { client async throws in
            var response = try await client.call(.post, "/staff/v1/tokens", token: admin,
                json: #"{"role":"circulation_staff","institutionId":\#(rpl),"expiresAt":"2020-01-01T00:00:00Z"}"#)
            #expect(response.status == .unprocessableContent)
            #expect(try response.problem().errors?.map(\.field) == ["expiresAt"])
            response = try await client.call(.post, "/staff/v1/tokens", token: admin, json: #"{"role":"circulation_staff","institutionId":\#(rpl)}"#)
            #expect(response.status == .created)
            let expires = try #require((response.object["expiresAt"] as? String).flatMap { ISO8601DateFormatter().date(from: String($0.prefix(19)) + "Z") })
            #expect(abs(expires.timeIntervalSinceNow / 86_400 - 365) < 0.01)
        }
    }

    @Test("concurrent resends of one Idempotency-Key all get the first answer, and the change is made once")
    func idempotentResendRace() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"phoneChange": "request", "updatePatronTypes": ["ADULT", "JUVENILE", "SENIOR", "STAFF", "STUDENT"]}"#)
        try await f.run { client, session in
            let bodies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let response = try await f.submit(client, session, #"{"phone": "312-555-0123"}"#, key: "race-1")
                        return (Int(response.status.code), String(buffer: response.body))
                    }
                }
                return try await group.reduce(into: [(Int, String)]()) { $0.append($1) }
            }
            #expect(bodies.allSatisfy { $0.0 == 200 }, "\(bodies.map(\.0))")
            #expect(Set(bodies.map(\.1)).count == 1)
            #expect(try await f.fixture.adminScalar("select count(*) from ps.change_submission where idempotency_key = 'race-1'", as: Int.self) == 1)
            #expect(try await f.fixture.adminScalar(
                "select count(*) from ps.change_request_event where patron_id = \(f.patronID) and event = 'pending'", as: Int.self) == 1)
        }
    }

    @Test("two desks lending one item at once: one loan, and the other desk hears item_already_on_loan, naming no database object")
    func concurrentCheckoutOfOneItem() async throws {
        let f = try await CheckoutFixture.make(policy: "max_items_overdue = null", items: 1, cost: nil)
        let rpl = f.fixture.institutions["RPL"]!
        let other = try await f.fixture.adminScalar(
            "select patron_id from ps.patron where institution_id = \(rpl) and patron_id <> \(f.patron) order by patron_id limit 1", as: Int64.self)
        let staff = f.fixture.tokens["RPL/circulation_staff"]!
        try await withApp(database: f.fixture.database) { client async throws in
            async let first = client.call(.post, "/staff/v1/checkouts", token: staff,
                json: #"{"patronId":\#(f.patron),"itemBarcode":"ITEM-1","branchId":\#(f.branch)}"#)
            async let second = client.call(.post, "/staff/v1/checkouts", token: staff,
                json: #"{"patronId":\#(other),"itemBarcode":"ITEM-1","branchId":\#(f.branch)}"#)
            let responses = try await [first, second]
            #expect(responses.map(\.status.code).sorted() == [201, 409])
            let refused = try #require(responses.first { $0.status == .conflict })
            let problem = try refused.problem()
            #expect(problem.code == "item_already_on_loan")
            #expect(!problem.detail.contains("loan_item_active"))
        }
    }
}
