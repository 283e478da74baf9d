import Foundation
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

/// Patron sign-in throttling in SQL, probed the way the issue's attacker did.
@Suite("Sign-in throttling: atomic per barcode, per source address, constant work")
struct SignInThrottlingTests {
    /// One sign-in as the service, in its own transaction and connection; returns the outcome.
    func signIn(_ fixture: DemoFixture, barcode: String, pin: String, source: String) async throws -> String {
        try await PostgresConnection.with(fixture.database.app) { connection in
            try await connection.execute("begin")
            let outcome = try await connection.query("""
                select outcome from ps.patron_sign_in(\(fixture.credentials.pacClientKey), \(barcode), \(pin), \("pss_" + UUID().uuidString), \(source))
                """).scalar(String.self)
            try await connection.execute("commit")
            return outcome
        }
    }

    @Test("40 concurrent wrong PINs for one barcode: only as many are checked as the limit allows (5), the rest are locked")
    func concurrentWrongPINs() async throws {
        let fixture = try await DemoFixture.make()
        let barcode = fixture.credentials.patronBarcode
        let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
            for attempt in 0..<40 {
                group.addTask { try await signIn(fixture, barcode: barcode, pin: "99\(attempt % 10)9", source: "198.51.100.\(attempt)") }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == "invalid_credentials" }.count == 5)
        #expect(outcomes.filter { $0 == "locked" }.count == 35)
        #expect(try await fixture.adminScalar("select count(*) from ps.signin_failure where barcode = \(barcode)", as: Int.self) == 5)
    }

    @Test("failures from one address lock that address only: a patron at another address signs in through the same public key")
    func perSourceNotPerKey() async throws {
        let fixture = try await DemoFixture.make()
        try await fixture.asAdmin { c async throws in
            try await c.query("update ps.auth_setting set value = 3 where name = 'signin_max_failures_per_source'")
        }
        for attempt in 0..<3 {
            #expect(try await signIn(fixture, barcode: "0000000\(attempt)", pin: "1111", source: "203.0.113.7") == "invalid_credentials")
        }
        #expect(try await signIn(fixture, barcode: fixture.credentials.patronBarcode, pin: "1234", source: "203.0.113.7") == "locked")
        #expect(try await signIn(fixture, barcode: fixture.credentials.patronBarcode, pin: "1234", source: "192.0.2.44") == "signed_in")
    }

    @Test("PINs are hashed at the configured bcrypt cost (10), and a PIN of another cost is re-hashed at the next sign-in")
    func bcryptCostAndRehash() async throws {
        let fixture = try await DemoFixture.make()
        let barcode = fixture.credentials.patronBarcode
        #expect(try await fixture.adminScalar("select substr(ps.hash_pin('1234'), 1, 7)", as: String.self) == "$2a$10$")
        try await fixture.asAdmin { c async throws in
            try await c.query("update ps.patron set pin_hash = crypt('1234', gen_salt('bf', 6)) where barcode = \(barcode)")
        }
        #expect(try await signIn(fixture, barcode: barcode, pin: "1234", source: "192.0.2.1") == "signed_in")
        #expect(try await fixture.adminScalar("select substr(pin_hash, 1, 7) from ps.patron where barcode = \(barcode)", as: String.self) == "$2a$10$")
        #expect(try await signIn(fixture, barcode: barcode, pin: "1234", source: "192.0.2.1") == "signed_in")
    }

    @Test("a barcode is found by index, whether or not it exists (the same plan for known and unknown)")
    func barcodeByIndex() async throws {
        let fixture = try await DemoFixture.make()
        let plan = try await PostgresConnection.with(fixture.database.owner) { connection in
            try await connection.execute("set enable_seqscan = off")
            return try await connection.query(
                "explain select * from ps.patron p where lower(p.barcode) = lower('NO-SUCH-BARCODE') and p.deleted_at is null"
            ).map { try $0.decode("QUERY PLAN", as: String.self) }.joined(separator: "\n")
        }
        #expect(plan.contains("patron_barcode_lower"))
    }
}
