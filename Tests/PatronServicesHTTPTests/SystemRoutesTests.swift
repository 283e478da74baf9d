import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PatronServicesTesting
import Postgres
import Testing

@testable import PatronServicesHTTP

@Suite("Health, readiness, metrics, the contract, and problem answers")
struct SystemRoutesTests {
    @Test("GET /health answers 200 while the process runs")
    func health() async throws {
        try await withApp { client async throws in
            try await client.execute(uri: "/health", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(try response.json([String: String].self) == ["status": "ok"])
            }
        }
    }

    @Test("GET /ready answers 200 when the database is reachable as the service role")
    func ready() async throws {
        try await withApp { client async throws in
            try await client.execute(uri: "/ready", method: .get) { response throws in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("GET /ready answers 503 problem when the database is not reachable")
    func notReady() async throws {
        let unreachable: [AbsoluteConfigKey: ConfigValue] = [
            "database.url": .init(.string("host=/nonexistent port=1 dbname=x connect_timeout=1"), isSecret: true)
        ]
        try await withApp(unreachable) { client async throws in
            try await client.execute(uri: "/ready", method: .get) { response throws in
                #expect(response.status == .serviceUnavailable)
                #expect(try response.problem().code == "database_unavailable")
                #expect(response.headers[.retryAfter] == "1")
            }
            // Liveness does not depend on the database.
            try await client.execute(uri: "/health", method: .get) { response throws in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("GET /metrics exposes request counts by route and status, latencies and pool gauges")
    func metrics() async throws {
        try await withApp { client async throws in
            _ = try await client.execute(uri: "/ready", method: .get)
            _ = try await client.execute(uri: "/nowhere", method: .get)
            try await client.execute(uri: "/metrics", method: .get) { response throws in
                let text = String(buffer: response.body)
                #expect(text.contains(#"http_requests_total{method="GET",route="/ready",status="200"} 1"#))
                #expect(text.contains(#"http_requests_total{method="GET",route="NotFound",status="404"} 1"#))
                #expect(text.contains("http_request_duration_seconds_bucket"))
                #expect(text.contains(#"db_pool_connections{state="idle"}"#))
                #expect(text.contains("db_pool_waiters"))
            }
        }
    }

    @Test("the request id is taken from X-Request-Id, or generated as a random version 4 UUID, and returned on every answer")
    func requestID() async throws {
        @Sendable func isVersion4UUID(_ text: String) -> Bool {
            text.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil
        }
        try await withApp { client async throws in
            try await client.execute(uri: "/health", method: .get, headers: [RequestIDMiddleware.header: "abc-123"]) { response throws in
                #expect(response.headers[RequestIDMiddleware.header] == "abc-123")
            }
            try await client.execute(uri: "/nowhere", method: .get, headers: [RequestIDMiddleware.header: "bad id with spaces"]) { response throws in
                let id = try #require(response.headers[RequestIDMiddleware.header])
                #expect(isVersion4UUID(id))
                #expect(UUID(uuidString: id) != nil)
                #expect(try response.problem().requestId == id)
            }
        }
        let generated = (0..<2000).map { _ in RequestIDMiddleware.randomID() }
        #expect(Set(generated).count == generated.count)
        #expect(generated.allSatisfy(isVersion4UUID))
    }

    @Test("an unknown route answers 404 problem+json with code route_not_found, its path unescaped")
    func unknownRoute() async throws {
        try await withApp { client async throws in
            try await client.execute(uri: "/no/such/route", method: .get) { response throws in
                #expect(response.status == .notFound)
                let problem = try response.problem()
                #expect(problem.code == "route_not_found")
                #expect(problem.type == "urn:patron-services:problem:route_not_found")
                // A path reads as it was sent: no `\/` escapes for a PAC developer to puzzle over.
                #expect(String(buffer: response.body).contains(#""instance":"/no/such/route""#))
            }
        }
    }

    @Test("a known route with the wrong method answers 405 with Allow")
    func wrongMethod() async throws {
        try await withApp { client async throws in
            try await client.execute(uri: "/ready", method: .delete) { response throws in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
                #expect(try response.problem().code == "method_not_allowed")
            }
        }
    }

    @Test("a body over the configured limit answers 413 problem+json")
    func oversizedBody() async throws {
        try await withApp(["http.maxBodyBytes": 1024]) { client async throws in
            let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: 4096)
            try await client.execute(uri: "/health", method: .post, body: body) { response throws in
                #expect(response.status == .contentTooLarge)
                #expect(try response.problem().code == "payload_too_large")
            }
        }
    }

    @Test("the OpenAPI document is served and describes exactly the routes the application registers")
    func contractMatchesRoutes() async throws {
        let document = try OpenAPIDocument.text()
        #expect(document.hasPrefix("openapi: 3.1"))
        let documented = OpenAPIPaths.operations(in: document)
        let database = try await TestDatabase.create()
        let routes = RouteTable()
        var configuration = AppConfiguration(reader: ConfigReader(providers: [InMemoryProvider(values: [:])]))
        configuration.databaseURL = database.appURL
        _ = try buildRouter(
            configuration: configuration, pool: .init(configuration: configuration.poolConfiguration(database.app)),
            metrics: AppMetrics(), routes: routes)
        let registered = Set(routes.routes.map { "\($0.method.rawValue.lowercased()) \($0.path)" })
        #expect(registered == Set(documented.keys))
        for route in routes.routes {
            #expect(documented["\(route.method.rawValue.lowercased()) \(route.path)"] == route.roles, "x-roles of \(route.path)")
        }
        try await withApp(database: database) { client async throws in
            try await client.execute(uri: "/openapi.yaml", method: .get) { response throws in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/yaml")
                #expect(String(buffer: response.body) == document)
            }
            // Generators that read only text/plain may ask for it.
            let plain = try await client.execute(uri: "/openapi.yaml", method: .get, headers: [.accept: "text/plain"])
            #expect(plain.headers[.contentType] == "text/plain; charset=utf-8")
            #expect(String(buffer: plain.body) == document)
        }
    }
}

/// Reads `paths:` operations and their `x-roles` from the YAML document (enough YAML for our own file).
enum OpenAPIPaths {
    static func operations(in document: String) -> [String: [String]] {
        var operations: [String: [String]] = [:]
        var inPaths = false
        var path = ""
        var operation = ""
        for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths, let first = line.first, first != " " { break }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                operation = "\(line.trimmingCharacters(in: .whitespaces).dropLast()) \(path)"
                operations[operation] = []
            } else if line.hasPrefix("      x-roles:") {
                let list = line.split(separator: "[").last?.split(separator: "]").first ?? ""
                operations[operation] = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
        }
        return operations
    }
}
