import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@testable import PatronServicesHTTP

/// The hostile-input table of the load issue: each probe gets a 4xx problem naming what is wrong, and
/// nothing is written.
@Suite("Hostile input: NUL bytes, oversized bodies, values out of bounds, impossible dates")
struct HostileInputTests {
    @Test("a NUL byte in a PAC change request is 422 nul_character naming the field, and nothing is written")
    func nulInChangeRequest() async throws {
        let f = try await AccountUpdatesFixture.make()
        try await f.set(#"{"addressChange": "direct", "updatePatronTypes": ["ADULT", "JUVENILE", "SENIOR", "STAFF", "STUDENT"]}"#)
        try await f.run { client, session in
            let response = try await f.submit(client, session, #"{"address": {"line1": "1 Main\u0000 St", "postalCode": "60601"}}"#)
            #expect(response.status == .unprocessableContent)
            let problem = try response.problem()
            #expect(problem.errors?.map(\.field) == ["address.line1"])
            #expect(problem.errors?.map(\.code) == ["nul_character"])
            #expect(try await f.fixture.adminScalar("select count(*) from ps.change_request_event where patron_id = \(f.patronID)", as: Int.self) == 0)
        }
    }

    @Test("a NUL byte in a staff body or a query parameter is a 4xx, never a 500")
    func nulElsewhere() async throws {
        let fixture = try await DemoFixture.make()
        let staff = fixture.tokens["RPL/circulation_staff"]!
        try await withApp(database: fixture.database) { client async throws in
            var response = try await client.call(.post, "/staff/v1/patrons", token: staff,
                json: #"{"barcode":"NUL-0001","registeredBranchId":\#(fixture.branches["RPL-MAIN"]!),"patronTypeId":1,"firstName":"A\u0000","lastName":"B"}"#)
            #expect(response.status == .unprocessableContent)
            #expect(try response.problem().errors?.map(\.field) == ["firstName"])
            response = try await client.call(.get, "/staff/v1/patrons?name=B%00", token: staff)
            #expect(response.status == .badRequest)
            #expect(try response.problem().code == "invalid_value")
        }
    }

    @Test("a body over the limit without a Content-Length (chunked) is 413 payload_too_large")
    func chunkedBodyTooLarge() async throws {
        let fixture = try await DemoFixture.make()
        try await withApp(database: fixture.database) { client async throws in
            let body = ByteBuffer(repeating: UInt8(ascii: " "), count: 1_000_000)
            let response = try await client.execute(uri: "/staff/v1/patrons", method: .post,
                headers: [.authorization: "Bearer \(fixture.tokens["RPL/circulation_staff"]!)", .contentType: "application/json"], body: body)
            #expect(response.status == .contentTooLarge)
            #expect(try response.problem().code == "payload_too_large")
        }
    }

    @Test("numbers past their documented bounds are 422 naming the field: a bill of 2^63-1, a suspension of 2^31-1 minutes")
    func boundedNumbers() async throws {
        let f = try await CheckoutFixture.make(policy: "max_items_overdue = null", items: 1, cost: nil)
        let staff = f.fixture.tokens["RPL/circulation_staff"]!
        try await withApp(database: f.fixture.database) { client async throws in
            var response = try await client.call(.post, "/staff/v1/bills", token: staff,
                json: #"{"patronId":\#(f.patron),"kind":"other","amountMinor":9223372036854775807}"#)
            #expect(response.status == .unprocessableContent)
            #expect(try response.problem().errors?.map(\.field) == ["amountMinor"])
            response = try await client.call(.post, "/staff/v1/patrons/\(f.patron)/suspensions", token: staff, json: #"{"minutes":2147483647}"#)
            #expect(response.status == .unprocessableContent)
            #expect(try response.problem().errors?.map(\.field) == ["minutes"])
            #expect(try await f.fixture.adminScalar("select count(*) from ps.bill where patron_id = \(f.patron)", as: Int.self) == 0)
            #expect(try await f.fixture.adminScalar("select count(*) from ps.suspension where patron_id = \(f.patron)", as: Int.self) == 0)
        }
    }

    @Test("a due date in 1970 is refused to circulation staff; a supervisor may back-date, and the loan records it")
    func pastDueDate() async throws {
        let f = try await CheckoutFixture.make(policy: "max_items_overdue = null", items: 1, cost: nil)
        try await withApp(database: f.fixture.database) { client async throws in
            var response = try await f.checkout(client, item: 1, token: f.fixture.tokens["RPL/circulation_staff"]!, extra: #","dueAt":"1970-01-01T00:00:00Z""#)
            #expect(response.status == .unprocessableContent)
            #expect(try response.problem().errors?.map(\.code) == ["in_past"])
            response = try await f.checkout(client, item: 1, token: f.fixture.tokens["RPL/circulation_supervisor"]!,
                extra: #","dueAt":"\#(ISO8601DateFormatter().string(from: Date().addingTimeInterval(-86_400)))""#)
            #expect(response.status == .created)
            #expect((response.object["acknowledgedAlerts"] as? [String])?.contains("past_due_date") == true)
            #expect(response.object["overriddenBy"] as? String != nil)
        }
    }

    @Test("impossible and far dates are refused, not rolled over: 2024-02-30, 25:00, the year 10000")
    func strictDates() async throws {
        let f = try await CheckoutFixture.make(policy: "max_items_overdue = null", items: 1, cost: nil)
        let supervisor = f.fixture.tokens["RPL/circulation_supervisor"]!
        try await withApp(database: f.fixture.database) { client async throws in
            for due in ["2024-02-30T00:00:00Z", "2030-01-01T25:00:00Z", "10000-01-01T00:00:00Z", "2030-01-01", "2099-01-01T00:00:00Z"] {
                let response = try await f.checkout(client, item: 1, token: supervisor, extra: #","dueAt":"\#(due)""#)
                #expect(response.status == .unprocessableContent, "\(due)")
                #expect(try response.problem().errors?.map(\.field) == ["dueAt"], "\(due)")
            }
        }
    }
}
