import Configuration
import Hummingbird
import HummingbirdTesting
import Logging
import PatronServicesHTTP

/// Builds the real application on a fresh (or the given) database from an in-memory configuration, and
/// runs `test` against its router (or, with `.live`, its real server on a loopback port). `extra`
/// overrides or adds configuration keys.
public func withApp<T: Sendable>(
    _ extra: [AbsoluteConfigKey: ConfigValue] = [:],
    database: TestDatabase.Database? = nil,
    logger: Logger? = nil,
    testing: TestingSetup = .router,
    _ test: @Sendable (any TestClientProtocol) async throws -> T
) async throws -> T {
    let database = if let database { database } else { try await TestDatabase.create() }
    var values: [AbsoluteConfigKey: ConfigValue] = [
        "http.host": "127.0.0.1", "http.port": 0, "log.level": "warning",
        "database.url": .init(.string(database.appURL), isSecret: true), "database.pool.size": 4,
        // No background schedule in tests: a test that wants reminders runs them itself.
        "notices.jobsIntervalSeconds": 0,
    ]
    for (key, value) in extra { values[key] = value }
    let app = try await buildApplication(reader: ConfigReader(providers: [InMemoryProvider(values: values)]), logger: logger)
    return try await app.test(testing) { client in
        try await test(ContractCheckingClient(inner: client, contract: .service))
    }
}
