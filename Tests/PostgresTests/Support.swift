import Logging
import PatronServicesTesting
import Postgres
import Testing

/// A fresh database and a connection to it as superuser, closed after `body`.
func withFreshConnection<T: Sendable>(_ body: (PostgresConnection, TestDatabase.Database) async throws -> T) async throws -> T {
    let database = try await TestDatabase.create()
    return try await PostgresConnection.with(database.superuser) { try await body($0, database) }
}

/// Expects `body` to throw a ``PostgresError`` and returns it.
func expectPostgresError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> PostgresError? {
    do {
        try await body()
        Issue.record("expected a PostgresError", sourceLocation: sourceLocation)
        return nil
    } catch let error as PostgresError {
        return error
    } catch {
        Issue.record("expected a PostgresError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Waits for a state, not for time: polls `condition` (a millisecond apart) until it holds, and records
/// an issue if it has not after 10 s, far longer than any state here takes to be reached.
func eventually(_ condition: () async throws -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let deadline = ContinuousClock.now + .seconds(10)
    while try await !condition() {
        if ContinuousClock.now > deadline {
            Issue.record("condition not reached within 10 s", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(1))
    }
}
