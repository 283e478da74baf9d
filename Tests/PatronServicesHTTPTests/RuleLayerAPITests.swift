import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@testable import PatronServicesHTTP

/// Rules that moved from Swift into SQL with the rule layer, seen through the API.
@Suite("Rules in SQL: the loan period setting, time zones, and what a 500 logs")
struct RuleLayerAPITests {
    func days(from start: Date, to iso: String?) throws -> Double {
        let due = try #require(iso.flatMap { ISO8601DateFormatter().date(from: String($0.prefix(19)) + "Z") })
        return due.timeIntervalSince(start) / 86_400
    }

    @Test("with no due date, a checkout is due after the branch's loan period (21 days unless set), and a renewal extends by it")
    func loanPeriodSetting() async throws {
        let f = try await CheckoutFixture.make(policy: "max_items_overdue = null", items: 2, cost: nil)
        let staff = f.fixture.tokens["RPL/circulation_staff"]!
        let admin = f.fixture.tokens["RPL/library_admin"]!
        let rpl = f.fixture.institutions["RPL"]!
        try await withApp(database: f.fixture.database) { client async throws in
            let start = Date()
            var response = try await f.checkout(client, item: 1, token: staff)
            #expect(response.status == .created)
            #expect(abs(try days(from: start, to: response.object["dueAt"] as? String) - 21) < 0.01)

            response = try await client.call(.put, "/staff/v1/settings", token: admin,
                json: #"{"name":"circulation.loan_period_days","level":"library","institutionId":\#(rpl),"value":7}"#)
            #expect(response.status == .ok)
            response = try await f.checkout(client, item: 2, token: staff)
            #expect(abs(try days(from: start, to: response.object["dueAt"] as? String) - 7) < 0.01)
            let loan = try #require(response.object["loanId"] as? Int)
            response = try await client.call(.post, "/staff/v1/loans/\(loan)/renew", token: staff, json: "{}")
            #expect(response.status == .ok)
            #expect(abs(try days(from: start, to: response.object["dueAt"] as? String) - 14) < 0.01)

            response = try await client.call(.put, "/staff/v1/settings", token: admin,
                json: #"{"name":"circulation.loan_period_days","level":"library","institutionId":\#(rpl),"value":0}"#)
            #expect(response.status == .unprocessableContent)
            #expect(try response.problem().errors?.map(\.field) == ["value"])
        }
    }

    @Test("an unknown time zone is 422 on timeZone alone")
    func unknownTimeZone() async throws {
        let fixture = try await DemoFixture.make()
        try await withApp(database: fixture.database) { client async throws in
            let response = try await client.call(.post, "/staff/v1/libraries", token: fixture.tokens["consortium_admin"]!,
                json: #"{"code":"BAD","name":"Bad","currency":"USD","timeZone":"Mars/Olympus"}"#)
            #expect(response.status == .unprocessableContent)
            #expect(try response.problem().errors?.map(\.field) == ["timeZone"])
        }
    }

    @Test("an unexpected database error is a 500 internal_error; its log line names the PL/pgSQL function that raised it, the answer does not")
    func internalErrorLogsContext() async throws {
        let fixture = try await DemoFixture.make()
        // A fault the rules never raise on purpose: the bills view's function fails inside PL/pgSQL.
        try await PostgresConnection.with(fixture.database.owner) { owner in
            try await owner.execute("""
                create or replace function ps.patron_bills(p_patron_id bigint) returns jsonb language plpgsql as $$
                begin
                    raise exception 'injected fault';
                end $$;
                """)
        }
        let logs = CapturedLogs()
        try await withApp(database: fixture.database, logger: logs.logger()) { client async throws in
            let response = try await client.call(.get, "/staff/v1/patrons/1/bills", token: fixture.tokens["RPL/library_admin"]!)
            #expect(response.status == .internalServerError)
            let problem = try response.problem()
            #expect(problem.code == "internal_error")
            #expect(!problem.detail.contains("patron_bills"))
        }
        let line = try #require(logs.lines.first { $0.message == "unhandled error" })
        #expect(line.level == .error)
        #expect(line.metadata["pg.context"]?.contains("PL/pgSQL function ps.patron_bills(bigint)") == true)
    }
}
