import Configuration
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PatronServicesTesting
import Postgres
import Testing

@testable import PatronServicesHTTP

/// The pool queues requests in front of PostgreSQL, not in it, and only so many.
@Suite("The pool protects PostgreSQL")
struct PoolProtectionTests {
    @Test("with every pooled connection busy and the wait queue full, a request is answered 503 busy with Retry-After at once, and the busy one still completes")
    func busyPastTheQueue() async throws {
        let fixture = try await DemoFixture.make()
        let rpl = fixture.institutions["RPL"]!
        let admin = fixture.tokens["RPL/library_admin"]!
        // An outside session holds the library's import lock, so an import request keeps the pool's only
        // connection until the test lets go.
        let outside = try await PostgresConnection.connect(fixture.database.superuser)
        try await outside.query("select pg_advisory_lock(hashtextextended('ps.import:' || \(rpl)::text, 0))")
        let settings: [AbsoluteConfigKey: ConfigValue] = ["database.pool.size": .init(.int(1), isSecret: false),
                                                          "database.pool.maxWaiting": .init(.int(0), isSecret: false)]
        try await withApp(settings, database: fixture.database) { client async throws in
            let blocked = Task {
                try await client.execute(uri: "/staff/v1/imports?kind=patrons&dryRun=true", method: .post,
                    headers: [.authorization: "Bearer \(admin)", .contentType: "text/csv"], body: ByteBuffer(string: "barcode\nX-1\n"))
            }
            try await eventually(seconds: 60) {
                try await outside.query("""
                    select count(*) from pg_locks where locktype = 'advisory' and not granted
                      and database = (select oid from pg_database where datname = current_database())
                    """).scalar(Int.self) == 1
            }
            let response = try await client.call(.get, "/staff/v1/libraries", token: admin)
            #expect(response.status == .serviceUnavailable)
            #expect(try response.problem().code == "busy")
            #expect(response.headers[.retryAfter] == "1")
            try await outside.query("select pg_advisory_unlock_all()")
            #expect(try await blocked.value.status == .created)
            #expect(try await client.call(.get, "/staff/v1/libraries", token: admin).status == .ok)
        }
        await outside.close()
    }
}
