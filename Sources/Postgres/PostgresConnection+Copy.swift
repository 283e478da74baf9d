import CLibPQ
import Foundation

extension PostgresConnection {
    /// Bulk-loads rows with `COPY ... FROM STDIN` (text format). Returns the number of rows copied.
    ///
    /// `sql` is the COPY statement, e.g. `copy patron (id, name) from stdin`; each row's values are
    /// written in COPY's text format (NULL as `\N`, tabs, newlines and backslashes escaped).
    @discardableResult
    public func copyFromStdin(_ sql: String, rows: [[any PostgresEncodable]]) async throws -> Int {
        var chunk = ""
        chunk.reserveCapacity(rows.count * 32)
        for row in rows {
            chunk += row.map { PostgresCopy.escape($0.postgresText) }.joined(separator: "\t")
            chunk += "\n"
        }
        return try await copyFromStdin(sql, chunks: [chunk])
    }

    /// Bulk-loads data already in the format `sql` names (COPY's text format, or CSV), sent chunk by
    /// chunk; `progress` gets the bytes sent so far after each chunk.
    @discardableResult
    public func copyFromStdin(_ sql: String, chunks: [String], progress: (@Sendable (Int) -> Void)? = nil) async throws -> Int {
        try await exclusive { try await copyRows(sql, chunks: chunks, progress: progress) }
    }

    private func copyRows(_ sql: String, chunks: [String], progress: (@Sendable (Int) -> Void)?) async throws -> Int {
        try await cancellable { conn in
            let start = PQexec(conn, sql)
            defer { PQclear(start) }
            guard PQresultStatus(start) == PGRES_COPY_IN else {
                _ = try self.readResult(conn, start, sql: sql)
                throw PostgresError.client("statement did not start COPY FROM STDIN")
            }
            var failure: String?
            var total = 0
            for chunk in chunks where failure == nil {
                let sent = chunk.utf8CString.withUnsafeBufferPointer { buffer in
                    PQputCopyData(conn, buffer.baseAddress, Int32(buffer.count - 1))
                }
                if sent != 1 { failure = "sending COPY data failed" }
                total += chunk.utf8.count
                progress?(total)
            }
            guard PQputCopyEnd(conn, failure) == 1 else { throw self.connectionError(conn, sql: sql) }
            var outcome: Result<PostgresResult, any Error> = .failure(PostgresError.client("no COPY result"))
            while let result = PQgetResult(conn) {
                outcome = Result { try self.readResult(conn, result, sql: sql) }
                PQclear(result)
            }
            return try outcome.get().affectedRows
        }
    }
}

enum PostgresCopy {
    static func escape(_ text: String?) -> String {
        guard let text else { return "\\N" }
        guard text.utf8.contains(where: { $0 == 9 || $0 == 10 || $0 == 13 || $0 == 92 }) else { return text }
        var escaped = ""
        for character in text {
            switch character {
            case "\\": escaped += "\\\\"
            case "\t": escaped += "\\t"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\r\n": escaped += "\\r\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
