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

@Suite("PAC API: sign-in, throttling, scope, account")
struct PACAPITests {
    func signIn(_ client: any TestClientProtocol, _ key: String, _ barcode: String, _ pin: String) async throws -> TestResponse {
        try await client.execute(uri: "/pac/v1/sign-in", method: .post, headers: pacHeaders(key),
            body: ByteBuffer(string: #"{"barcode":"\#(barcode)","pin":"\#(pin)"}"#))
    }

    @Test("a patron signs in with barcode and PIN and reads their own account; the session scopes to their registered branch")
    func signInAndAccount() async throws {
        let fixture = try await DemoFixture.make()
        let key = fixture.credentials.pacClientKey
        try await withApp(database: fixture.database) { client async throws in
            let response = try await signIn(client, key, fixture.credentials.patronBarcode, "1234")
            #expect(response.status == .created)
            let session = try #require(response.object["sessionToken"] as? String)
            let account = try await client.execute(uri: "/pac/v1/account", method: .get, headers: pacHeaders(key, session: session))
            #expect(account.status == .ok)
            #expect(account.object["barcode"] as? String == fixture.credentials.patronBarcode)
            let scope = try await client.execute(uri: "/pac/v1/scope", method: .get, headers: pacHeaders(key, session: session))
            #expect(scope.object["reason"] as? String == "registered_branch")
            #expect(scope.object["branchId"] as? Int == (account.object["registeredBranchId"] as? Int))
            let anonymous = try await client.execute(uri: "/pac/v1/scope", method: .get, headers: pacHeaders(key))
            #expect(anonymous.object["reason"] as? String == "connection_branch")
            #expect(anonymous.object["branchId"] as? Int == Int(fixture.branches["RPL-MAIN"]!))
            let noSession = try await client.execute(uri: "/pac/v1/account", method: .get, headers: pacHeaders(key))
            #expect(noSession.status == .unauthorized)
            #expect(try noSession.problem().code == "sign_in_required")
            let badSession = try await client.execute(uri: "/pac/v1/account", method: .get, headers: pacHeaders(key, session: "pss_forged"))
            #expect(try badSession.problem().code == "session_expired")
            let noKey = try await client.execute(uri: "/pac/v1/scope", method: .get)
            #expect(try noKey.problem().code == "invalid_client_key")
        }
    }

    @Test("unknown barcode and wrong PIN fail alike, and 5 failures in 15 minutes lock sign-in for that barcode")
    func throttling() async throws {
        let fixture = try await DemoFixture.make()
        let key = fixture.credentials.pacClientKey
        let barcode = fixture.credentials.patronBarcode
        try await withApp(database: fixture.database) { client async throws in
            let unknown = try await signIn(client, key, "9999999999", "1234")
            let wrong = try await signIn(client, key, barcode, "0000")
            #expect(unknown.status == .unauthorized && wrong.status == .unauthorized)
            #expect(try unknown.problem().code == "invalid_credentials")
            #expect(try wrong.problem().code == "invalid_credentials")
            #expect(try unknown.problem().detail == wrong.problem().detail)
            for _ in 0..<4 { _ = try await signIn(client, key, barcode, "0000") }
            let locked = try await signIn(client, key, barcode, "1234")
            #expect(locked.status == .tooManyRequests)
            #expect(try locked.problem().code == "sign_in_locked")
            #expect(Int(locked.headers[.retryAfter] ?? "") ?? 0 > 0)
            // Another barcode is not affected.
            let other = try await fixture.asAdmin { connection in
                try await connection.query("select barcode from ps.patron where barcode <> \(barcode) and institution_id = \(fixture.institutions["RPL"]!) limit 1").scalar(String.self)
            }
            #expect(try await signIn(client, key, other, "1234").status == .created)
        }
    }

    @Test("too many failures from one address lock sign-in from that address, through the API")
    func sourceThrottling() async throws {
        let fixture = try await DemoFixture.make()
        try await fixture.asAdmin { connection async throws in
            try await connection.query("update ps.auth_setting set value = 3 where name = 'signin_max_failures_per_source'")
        }
        let key = fixture.credentials.pacClientKey
        try await withApp(database: fixture.database) { client async throws in
            for attempt in 0..<3 { _ = try await signIn(client, key, "000000\(attempt)", "1111") }
            let locked = try await signIn(client, key, fixture.credentials.patronBarcode, "1234")
            #expect(locked.status == .tooManyRequests)
        }
    }

    @Test("a revoked PAC client key is refused")
    func revokedKey() async throws {
        let fixture = try await DemoFixture.make()
        try await fixture.asAdmin { connection async throws in
            try await connection.query("select ps.revoke_pac_client(client_id) from ps.pac_clients()")
        }
        try await withApp(database: fixture.database) { client async throws in
            let response = try await signIn(client, fixture.credentials.pacClientKey, fixture.credentials.patronBarcode, "1234")
            #expect(response.status == .unauthorized)
            #expect(try response.problem().code == "invalid_client_key")
        }
    }
}
