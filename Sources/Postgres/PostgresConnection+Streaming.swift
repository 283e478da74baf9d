import CLibPQ

extension PostgresConnection {
    /// ``pipeline(_:)`` for statements with many rows: the rows of the statements at `streamed` reach
    /// `rows` while the server is still making the rest (libpq's single-row mode, a result of one row at
    /// a time), in binary form, and `pause` runs whenever libpq holds no whole row and the task is about
    /// to wait for more, so that the caller can pass on what it has made of them so far. A report page
    /// is written and sent to its client while PostgreSQL reads the page's later bills, instead of after.
    ///
    /// The other statements' results are checked and dropped. Errors are thrown as ``pipeline(_:)`` throws
    /// them, once the pipeline is read to its end; by then `rows` may have seen some rows of a statement
    /// that failed. An error `rows` or `pause` throws stops the rows reaching it, and is thrown at the
    /// end; the server knows nothing of it, so stream only what read-only statements return.
    public func pipeline(
        _ queries: [PostgresQuery], streaming streamed: Range<Int>,
        rows: @escaping @Sendable (PostgresRawResult) throws -> Void, pause: @escaping @Sendable () async throws -> Void
    ) async throws {
        precondition(streamed.allSatisfy(queries.indices.contains), "the streamed statements are in the pipeline")
        for query in queries { try query.checkBinds() }
        let stream = StreamedPipeline(queries: queries, streamed: streamed, rows: rows, pause: pause)
        try await exclusive { () async throws -> Void in
            if queries.contains(where: { self.preparedName(for: $0.sql) == nil }) {
                // Prepared on the connection's queue the first time (as the blocking path would), so
                // that every statement can be sent at once below.
                let _: [String] = try await self.cancellable { conn in try queries.map { try self.statementName(conn, for: $0) } }
            }
            let names = queries.map { self.preparedName(for: $0.sql)! }
            let _: Bool = try await self.nonBlocking { conn, io in
                try await stream.run(self, conn, io, names: names)
                return true
            }
        }
    }

    /// What ``pipeline(_:streaming:rows:pause:)`` sends and where its rows go.
    struct StreamedPipeline: Sendable {
        let queries: [PostgresQuery]
        let streamed: Range<Int>
        let rows: @Sendable (PostgresRawResult) throws -> Void
        let pause: @Sendable () async throws -> Void

        func run(_ connection: PostgresConnection, _ conn: OpaquePointer, _ io: NonBlockingIO, names: [String]) async throws {
            guard PQenterPipelineMode(conn) == 1 else { throw connection.connectionError(conn, sql: nil) }
            defer { PQexitPipelineMode(conn) }
            for (position, (query, name)) in zip(queries, names).enumerated() {
                try io.send(query, name, resultFormat: streamed.contains(position) ? 1 : 0)
            }
            guard PQpipelineSync(conn) == 1 else { throw connection.connectionError(conn, sql: nil) }
            try await io.flush()
            var firstError: (any Error)?
            for (position, query) in queries.enumerated() {
                let streaming = streamed.contains(position)
                // Refused (0) only when a result is already pending: then the rows come all at once.
                if streaming { _ = PQsetSingleRowMode(conn) }
                var pausing: (() async throws -> Void)? = nil
                if streaming { pausing = pause }
                while let result = try await io.nextResult(pausing: firstError == nil ? pausing : nil) {
                    if firstError == nil {
                        do {
                            try read(connection, conn, result, sql: query.sql, streaming: streaming)
                        } catch {
                            firstError = error
                        }
                    }
                    PQclear(result)
                }
            }
            while let result = try await io.nextResult() {  // the sync point
                let status = PQresultStatus(result)
                PQclear(result)
                if status == PGRES_PIPELINE_SYNC { break }
            }
            if let firstError { throw firstError }
        }

        /// One result: rows to `rows` from a streamed statement, nothing from the others, an error thrown.
        private func read(_ connection: PostgresConnection, _ conn: OpaquePointer, _ result: OpaquePointer, sql: String, streaming: Bool) throws {
            let status = PQresultStatus(result)
            if status == PGRES_SINGLE_TUPLE || status == PGRES_TUPLES_OK {
                if streaming { try rows(PostgresRawResult(result)) }
            } else if status != PGRES_COMMAND_OK && status != PGRES_PIPELINE_ABORTED {
                throw connection.serverError(conn, result, sql: sql)
            }
        }
    }
}
