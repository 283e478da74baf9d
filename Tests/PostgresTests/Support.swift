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

