import CLibPQ
import Foundation

extension PostgresConnection {
    /// Sends several statements in libpq pipeline mode and reads their results after one sync:
    /// one network round trip for the lot (once their prepared statements exist on this connection).
    ///
    /// When a statement fails the server skips the rest up to the sync; the first error is thrown.
    /// Used to run `begin; set_config(...); <call>; commit` as a single round trip on hot paths.
    public func pipeline(_ queries: [PostgresQuery]) async throws -> [PostgresResult] {
        for query in queries { try query.checkBinds() }
        return try await exclusive { try await pipelineNonBlocking(queries) }
    }

    /// Sends `query` as prepared statement `name` without waiting; its results in text (`resultFormat` 0)
    /// or binary (1). Blocking and non-blocking pipelines alike.
    func sendPrepared(_ conn: OpaquePointer, _ query: PostgresQuery, _ name: String, resultFormat: Int32) throws {
        let sent = withCStrings(query.binds) { values in
            PQsendQueryPrepared(conn, name, Int32(query.binds.count), values, nil, nil, resultFormat)
        }
        guard sent == 1 else { throw connectionError(conn, sql: query.sql) }
    }

    func runPipeline(_ conn: OpaquePointer, _ queries: [PostgresQuery]) throws -> [PostgresResult] {
        let names = try queries.map { try statementName(conn, for: $0) }
        guard PQenterPipelineMode(conn) == 1 else { throw connectionError(conn, sql: nil) }
        defer { PQexitPipelineMode(conn) }
        for (query, name) in zip(queries, names) {
            try sendPrepared(conn, query, name, resultFormat: 0)
        }
        guard PQpipelineSync(conn) == 1 else { throw connectionError(conn, sql: nil) }

        var results: [PostgresResult] = []
        var firstError: (any Error)?
        for query in queries {
            guard let result = PQgetResult(conn) else { throw connectionError(conn, sql: query.sql) }
            if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                PQclear(result)
            } else {
                do {
                    results.append(try readResult(conn, result, sql: query.sql))
                } catch {
                    firstError = firstError ?? error
                }
                PQclear(result)
            }
            // Each statement's results end with a NULL.
            while let extra = PQgetResult(conn) { PQclear(extra) }
        }
        // Then the sync point.
        while let result = PQgetResult(conn) {
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        if let firstError { throw firstError }
        return results
    }
}
