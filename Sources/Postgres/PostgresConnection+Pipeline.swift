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
        return try await exclusive { try await pipelineNonBlocking(queries, inPlace: InPlaceRead<Bool>?.none) }.results
    }

    /// ``pipeline(_:)``, reading statement `index`'s rows in place with `read` (called once, on the task
    /// or thread that reads the results, while libpq holds them) and answering what `read` returns. The
    /// other statements' results are read and dropped; any statement's error is thrown as there. An error
    /// `read` throws is thrown too, once the pipeline is read to its end; the server knows nothing of it,
    /// so the statements after (a `commit`) have run: read in place only what a read-only statement returns.
    ///
    /// With `binary`, that statement's values come in PostgreSQL's binary forms (`typsend`), which cost
    /// the server less to write than text (a `timestamptz` is its 8 bytes, not a time zone conversion and
    /// a formatted date).
    public func pipeline<T: Sendable>(
        _ queries: [PostgresQuery], readingInPlace index: Int, binary: Bool = false,
        _ read: @escaping @Sendable (PostgresRawResult) throws -> T
    ) async throws -> T {
        precondition(queries.indices.contains(index), "no statement \(index) in the pipeline")
        for query in queries { try query.checkBinds() }
        let inPlace = InPlaceRead(index: index, binary: binary, read: read)
        let outcome = try await exclusive { try await pipelineNonBlocking(queries, inPlace: inPlace) }
        guard let value = outcome.value else { throw PostgresError.client("statement \(index) of the pipeline returned nothing") }
        return value
    }

    /// Which statement of a pipeline is read in place, and how.
    struct InPlaceRead<T: Sendable>: Sendable {
        let index: Int
        let binary: Bool
        let read: @Sendable (PostgresRawResult) throws -> T
    }

    /// libpq's result format for statement `position` of a pipeline reading `inPlace`: 1 (binary) or 0 (text).
    static func resultFormat<T>(_ inPlace: InPlaceRead<T>?, position: Int) -> Int32 {
        guard let inPlace, inPlace.index == position, inPlace.binary else { return 0 }
        return 1
    }

    /// Sends `query` as prepared statement `name` without waiting; its results in text (`resultFormat` 0)
    /// or binary (1). Blocking and non-blocking pipelines alike.
    func sendPrepared(_ conn: OpaquePointer, _ query: PostgresQuery, _ name: String, resultFormat: Int32) throws {
        let sent = withCStrings(query.binds) { values in
            PQsendQueryPrepared(conn, name, Int32(query.binds.count), values, nil, nil, resultFormat)
        }
        guard sent == 1 else { throw connectionError(conn, sql: query.sql) }
    }

    /// Result `position` of a pipeline: read in place when `inPlace` names it, else copied into `results`.
    func readPipelineResult<T: Sendable>(
        _ conn: OpaquePointer, _ result: OpaquePointer, sql: String, position: Int, inPlace: InPlaceRead<T>?,
        into results: inout [PostgresResult], value: inout T?
    ) throws {
        guard let inPlace, inPlace.index == position else {
            results.append(try readResult(conn, result, sql: sql))
            return
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE: value = try inPlace.read(PostgresRawResult(result))
        default: throw serverError(conn, result, sql: sql)
        }
    }

    func runPipeline<T: Sendable>(
        _ conn: OpaquePointer, _ queries: [PostgresQuery], inPlace: InPlaceRead<T>?
    ) throws -> (results: [PostgresResult], value: T?) {
        let names = try queries.map { try statementName(conn, for: $0) }
        guard PQenterPipelineMode(conn) == 1 else { throw connectionError(conn, sql: nil) }
        defer { PQexitPipelineMode(conn) }
        for (position, (query, name)) in zip(queries, names).enumerated() {
            try sendPrepared(conn, query, name, resultFormat: Self.resultFormat(inPlace, position: position))
        }
        guard PQpipelineSync(conn) == 1 else { throw connectionError(conn, sql: nil) }

        var results: [PostgresResult] = []
        var value: T?
        var firstError: (any Error)?
        for (position, query) in queries.enumerated() {
            guard let result = PQgetResult(conn) else { throw connectionError(conn, sql: query.sql) }
            if PQresultStatus(result) == PGRES_PIPELINE_ABORTED {
                PQclear(result)
            } else {
                do {
                    try readPipelineResult(conn, result, sql: query.sql, position: position, inPlace: inPlace, into: &results, value: &value)
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
        return (results, value)
    }
}
