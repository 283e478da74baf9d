import Configuration
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import PatronServices
import PatronServicesTesting
import Testing

@testable import PatronServicesHTTP

@Suite("Operations: the access log")
struct AccessLogTests {
    @Test("each request logs one line at info: method, route, status, time, one request id, never a query string value or a token")
    func accessLog() async throws {
        let fixture = try await DemoFixture.make()
        let logs = CapturedLogs()
        let token = fixture.tokens["RPL/circulation_staff"]!
        try await withApp(["log.level": "info"], database: fixture.database, logger: logs.logger()) { client async throws in
            _ = try await client.call(.get, "/staff/v1/patrons?barcode=SECRET-2001&name=Zed", token: token)
        }
        let lines = logs.lines.filter { $0.message == "request" }
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.level == .info)
        #expect(line.metadata["http.method"] == "GET")
        #expect(line.metadata["http.route"] == "/staff/v1/patrons")
        #expect(line.metadata["http.status"] == "200")
        #expect(Double(line.metadata["http.duration_ms"] ?? "") != nil)
        #expect(line.metadata["request.id"] != nil)
        #expect(line.metadata["hb.request.id"] == nil)
        let everything = logs.lines.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(!everything.contains("SECRET-2001") && !everything.contains("Zed") && !everything.contains(token))
    }
}
