import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

/// A report page goes to its client as PostgreSQL reads its rows (chunked), and still answers errors
/// before its first row as problems; a client that leaves in the middle of a page costs nothing lasting.
@Suite("Report pages are streamed to the client")
struct ReportStreamingTests {
    /// A fixture with `count` more outstanding bills of Riverside's patrons, 1 to 1,000 minor units each.
    func fixtureWithBills(_ count: Int) async throws -> DemoFixture {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!
        try await fixture.asAdmin { connection async throws in
            try await connection.query("""
                insert into ps.bill (institution_id, patron_id, kind, reason, amount_minor, posted_at, state)
                select \(rpl), p.patron_id, 'other', 'streamed page ' || g, 1 + g % 1000, now(), 'outstanding'
                from generate_series(1, \(count)) g
                cross join lateral (select patron_id from ps.patron where institution_id = \(rpl) order by patron_id offset g % 10 limit 1) p
                """)
        }
        return fixture
    }

    @Test("pages of 1,000 bills, streamed over a real connection, are whole: every outstanding bill of the library once, in bill id order, each page's balance its bills' sum and its next start its last id")
    func streamedPagesAreWhole() async throws {
        let fixture = try await fixtureWithBills(2500)
        let rpl = fixture.institutions["RPL"]!
        let expected = try await fixture.asAdmin { connection in
            try await connection.query("select bill_id from ps.outstanding_bills_report where institution_id = \(rpl) order by bill_id")
                .rows.map { try $0.decode("bill_id", as: Int.self) }
        }
        try #require(expected.count >= 2500)
        try await withApp(database: fixture.database, testing: .live) { client async throws in
            var ids: [Int] = [], after: Int?, pages = 0
            repeat {
                let response = try await client.call(.get, "/staff/v1/reports/outstanding-bills?limit=1000" + (after.map { "&afterBillId=\($0)" } ?? ""),
                    token: fixture.tokens["RPL/report_reader"]!)
                #expect(response.status == .ok)
                let bills = try #require(response.object["bills"] as? [[String: Any]])
                let pageIds = bills.compactMap { $0["billId"] as? Int }
                #expect(pageIds == pageIds.sorted())
                #expect(response.object["pageBalanceMinor"] as? Int == bills.compactMap { $0["balanceMinor"] as? Int }.reduce(0, +))
                after = response.object["nextAfterBillId"] as? Int
                #expect(after == (bills.count == 1000 ? pageIds.last : nil))
                ids += pageIds
                pages += 1
            } while after != nil && pages < 10
            #expect(ids == expected)
        }
    }

    @Test("a report page is sent in chunks (Transfer-Encoding: chunked), and a bad token is still answered 401 with a problem, before any row")
    func chunkedAndProblemsBeforeRows() async throws {
        let fixture = try await fixtureWithBills(1200)
        try await withApp(database: fixture.database, testing: .live) { client async throws in
            let port = try #require(client.port)
            let socket = try RawSocket(port: port)
            socket.send("GET /staff/v1/reports/outstanding-bills?limit=1000 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(fixture.tokens["RPL/report_reader"]!)\r\nConnection: close\r\n\r\n")
            let answer = await withCheckedContinuation { continuation in
                Thread.detachNewThread { continuation.resume(returning: socket.readUntilClosed()) }
            }
            #expect(answer.text.hasPrefix("HTTP/1.1 200"))
            #expect(answer.text.lowercased().contains("transfer-encoding: chunked"))
            #expect(answer.text.hasSuffix("0\r\n\r\n"), "the last chunk ends the answer")
            let refused = try await client.call(.get, "/staff/v1/reports/outstanding-bills?limit=1000", token: "pst_" + String(repeating: "0", count: 64))
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.contentType] == "application/problem+json")
        }
    }

    @Test("a client that leaves in the middle of a page leaves the pool whole: its connection comes back, and the next page is answered in full")
    func clientLeavingMidPage() async throws {
        let fixture = try await fixtureWithBills(5000)
        let token = fixture.tokens["RPL/report_reader"]!
        try await withApp(database: fixture.database, testing: .live) { client async throws in
            let port = try #require(client.port)
            for _ in 0..<3 {
                let socket = try RawSocket(port: port)
                let status = await withCheckedContinuation { continuation in
                    Thread.detachNewThread {
                        continuation.resume(returning: socket.statusLine(of:
                            "GET /staff/v1/reports/outstanding-bills?limit=5000 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\r\n"))
                    }
                }
                #expect(status == "HTTP/1.1 200 OK")
                // The socket closes here, with most of the page unread.
            }
            try await eventually(seconds: 30) {
                let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
                return metrics.contains(#"db_pool_connections{state="in_use"} 0"#)
            }
            let page = try await client.call(.get, "/staff/v1/reports/outstanding-bills?limit=5000", token: token)
            #expect(page.status == .ok)
            #expect((page.object["bills"] as? [[String: Any]])?.count == 5000)
        }
    }
}
