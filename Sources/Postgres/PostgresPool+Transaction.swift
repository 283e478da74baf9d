extension PostgresPool {
    /// Runs `body` in a transaction on a pooled connection: committed when `body` returns, rolled back
    /// when it throws. `begin` and the settings go to the server together, in one round trip.
    @discardableResult
    public func withTransaction<Result: Sendable>(
        _ options: TransactionOptions = TransactionOptions(),
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in
            _ = try await connection.pipeline(options.prelude)
            let result: Result
            do {
                result = try await body(connection)
            } catch {
                _ = try? await connection.execute("rollback")
                throw error
            }
            _ = try await connection.query("commit")
            return result
        }
    }

    /// Runs a single statement in its own transaction with `options` (isolation, tenant settings):
    /// `begin`, the settings, the statement and `commit` are pipelined, so a hot path that calls one SQL
    /// function costs one network round trip.
    public func transactionalQuery(_ query: PostgresQuery, options: TransactionOptions) async throws -> PostgresResult {
        try await withConnection { connection in
            let statements = options.prelude + [query, "commit"]
            let results = try await connection.pipeline(statements)
            return results[options.prelude.count]
        }
    }
}
