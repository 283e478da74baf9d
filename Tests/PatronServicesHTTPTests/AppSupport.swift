import Configuration
import Foundation
import Hummingbird
import HummingbirdTesting
import PatronServicesTesting
import Testing

@testable import PatronServicesHTTP

/// Builds the real application on a fresh database, from an in-memory configuration.
func withApp<T: Sendable>(
    _ extra: [AbsoluteConfigKey: ConfigValue] = [:],
    database: TestDatabase.Database? = nil,
    _ test: @Sendable (any TestClientProtocol) async throws -> T
) async throws -> T {
    let database = if let database { database } else { try await TestDatabase.create() }
    var values: [AbsoluteConfigKey: ConfigValue] = [
        "http.host": "127.0.0.1", "http.port": 0, "log.level": "warning",
        "database.url": .init(.string(database.appURL), isSecret: true), "database.pool.size": 4,
        // No background schedule in tests: a test that wants reminders runs them itself.
        "reminders.membershipIntervalSeconds": 0,
    ]
    for (key, value) in extra { values[key] = value }
    let app = try await buildApplication(reader: ConfigReader(providers: [InMemoryProvider(values: values)]))
    return try await app.test(.router, test)
}

struct ProblemBody: Decodable {
    var type: String
    var status: Int
    var code: String
    var detail: String
    var requestId: String?
    var errors: [Problem.FieldError]?
}

extension TestResponse {
    /// The problem body, after checking the media type.
    func problem(sourceLocation: SourceLocation = #_sourceLocation) throws -> ProblemBody {
        #expect(headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        return try JSONDecoder().decode(ProblemBody.self, from: Data(body.readableBytesView))
    }

    func json<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
    }
}
