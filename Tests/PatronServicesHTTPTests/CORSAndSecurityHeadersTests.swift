import Configuration
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PatronServices
import PatronServicesTesting
import Testing

@testable import PatronServicesHTTP

@Suite("CORS for PAC web front ends, and security headers on every answer")
struct CORSAndSecurityHeadersTests {
    static let origins: [AbsoluteConfigKey: ConfigValue] = ["http.cors.allowedOrigins": "https://pac.riverside.example.org, https://m.riverside.example.org"]
    let origin = HTTPField.Name("Origin")!

    func preflight(_ client: any TestClientProtocol, _ path: String, method: String, from origin: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .options,
            headers: [self.origin: origin, CORSMiddleware.requestMethod: method, HTTPField.Name("Access-Control-Request-Headers")!: "x-pac-client-key"])
    }

    @Test("a preflight from an allowed origin is 204 with the route's methods and the API's headers, and the origin itself, never *")
    func allowedPreflight() async throws {
        let fixture = try await DemoFixture.make()
        try await withApp(Self.origins, database: fixture.database) { client async throws in
            let response = try await preflight(client, "/pac/v1/change-requests", method: "POST", from: "https://pac.riverside.example.org")
            #expect(response.status == .noContent)
            #expect(response.headers[CORSMiddleware.allowOrigin] == "https://pac.riverside.example.org")
            #expect(response.headers[CORSMiddleware.allowMethods] == "POST")
            #expect(response.headers[CORSMiddleware.allowHeaders]?.contains("X-PAC-Client-Key") == true)
            #expect(response.headers[CORSMiddleware.vary] == "Origin")
            // The actual call then carries the origin too, error answers included.
            let options = try await client.execute(uri: "/pac/v1/options", method: .get,
                headers: [origin: "https://m.riverside.example.org", HTTPField.Name("X-PAC-Client-Key")!: fixture.credentials.pacClientKey])
            #expect(options.status == .ok)
            #expect(options.headers[CORSMiddleware.allowOrigin] == "https://m.riverside.example.org")
            let refused = try await client.execute(uri: "/pac/v1/account", method: .get, headers: [origin: "https://m.riverside.example.org"])
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[CORSMiddleware.allowOrigin] == "https://m.riverside.example.org")
        }
    }

    @Test("another origin's preflight is 403 origin_not_allowed; a method the route lacks is 405; answers name no other origin")
    func refusedPreflight() async throws {
        let fixture = try await DemoFixture.make()
        try await withApp(Self.origins, database: fixture.database) { client async throws in
            var response = try await preflight(client, "/pac/v1/change-requests", method: "POST", from: "https://evil.example.com")
            #expect(response.status == .forbidden)
            #expect(try response.problem().code == "origin_not_allowed")
            #expect(response.headers[CORSMiddleware.allowOrigin] == nil)
            response = try await preflight(client, "/pac/v1/change-requests", method: "DELETE", from: "https://pac.riverside.example.org")
            #expect(response.status == .methodNotAllowed)
            let plain = try await client.execute(uri: "/health", method: .get, headers: [origin: "https://evil.example.com"])
            #expect(plain.status == .ok)
            #expect(plain.headers[CORSMiddleware.allowOrigin] == nil)
        }
    }

    @Test("a PAC client key lists its own origins: its pages may preflight and call, with that key only; other keys and staff routes refuse that origin")
    func perClientOrigins() async throws {
        let fixture = try await DemoFixture.make()
        let keyHeader = HTTPField.Name("X-PAC-Client-Key")!
        let page = "https://catalogue.lakeshore.example.org"
        try await withApp(Self.origins, database: fixture.database) { client async throws in
            let admin = fixture.tokens["LDL/library_admin"]!
            // Before any key lists it, the origin is refused at preflight.
            #expect(try await preflight(client, "/pac/v1/options", method: "GET", from: page).status == .forbidden)
            let bad = try await client.call(.post, "/staff/v1/pac-clients", token: admin,
                json: #"{"branchId": \#(fixture.branches["LDL-HARBOR"]!), "allowedOrigins": ["https://*.example.org"]}"#)
            #expect(bad.status == .unprocessableContent)
            #expect(try bad.problem().errors?.first?.code == "invalid_origin")
            let created = try await client.call(.post, "/staff/v1/pac-clients", token: admin,
                json: #"{"branchId": \#(fixture.branches["LDL-HARBOR"]!), "label": "web PAC", "allowedOrigins": ["\#(page)"]}"#)
            #expect(created.status == .created)
            let key = try #require(created.object["clientKey"] as? String)
            #expect(created.object["allowedOrigins"] as? [String] == [page])

            let allowed = try await preflight(client, "/pac/v1/options", method: "GET", from: page)
            #expect(allowed.status == .noContent)
            #expect(allowed.headers[CORSMiddleware.allowOrigin] == page)
            let own = try await client.execute(uri: "/pac/v1/options", method: .get, headers: [origin: page, keyHeader: key])
            #expect(own.status == .ok)
            #expect(own.headers[CORSMiddleware.allowOrigin] == page)
            // Riverside's key does not list Lakeshore's page: refused in SQL, and nothing is signed in.
            let other = try await client.execute(uri: "/pac/v1/sign-in", method: .post,
                headers: [origin: page, keyHeader: fixture.credentials.pacClientKey, .contentType: "application/json"],
                body: ByteBuffer(string: #"{"barcode": "\#(fixture.credentials.patronBarcode)", "pin": "1234"}"#))
            #expect(other.status == .forbidden)
            #expect(try other.problem().code == "origin_not_allowed")
            // The global list still works with any key; a key's origins do not open the staff API.
            let global = try await client.execute(uri: "/pac/v1/options", method: .get,
                headers: [origin: "https://pac.riverside.example.org", keyHeader: key])
            #expect(global.status == .ok)
            #expect(try await preflight(client, "/staff/v1/libraries", method: "GET", from: page).status == .forbidden)

            // Replacing the list: the page loses the key at once.
            let id = try #require(created.object["clientId"] as? Int)
            let patched = try await client.call(.patch, "/staff/v1/pac-clients/\(id)", token: admin, json: #"{"allowedOrigins": []}"#)
            #expect(patched.status == .ok)
            #expect(patched.object["allowedOrigins"] as? [String] == [])
            let gone = try await client.execute(uri: "/pac/v1/options", method: .get, headers: [origin: page, keyHeader: key])
            #expect(gone.status == .forbidden)
            #expect(try await client.call(.patch, "/staff/v1/pac-clients/\(id)", token: fixture.tokens["RPL/library_admin"]!,
                                          json: #"{"allowedOrigins": []}"#).status == .notFound, "another library's key is not found")
        }
    }

    @Test("every answer says nosniff; authenticated ones are no-store; HSTS when configured")
    func securityHeaders() async throws {
        let fixture = try await DemoFixture.make()
        try await withApp(["http.strictTransportSecurity": "max-age=31536000"], database: fixture.database) { client async throws in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.headers[SecurityHeadersMiddleware.contentTypeOptions] == "nosniff")
            #expect(health.headers[.cacheControl] == nil)
            #expect(health.headers[SecurityHeadersMiddleware.strictTransport] == "max-age=31536000")
            let staff = try await client.call(.get, "/staff/v1/libraries", token: fixture.tokens["RPL/library_admin"]!)
            #expect(staff.headers[.cacheControl] == "no-store")
            let denied = try await client.call(.get, "/staff/v1/libraries", token: "pst_unknown")
            #expect(denied.status == .unauthorized)
            #expect(denied.headers[.cacheControl] == "no-store")
            #expect(denied.headers[SecurityHeadersMiddleware.contentTypeOptions] == "nosniff")
        }
    }
}
