import CLibPQ

extension PostgresConnection {
    /// A failed result as a ``PostgresError`` with every field the server sent; a result without a
    /// SQLSTATE is the connection's failure.
    func serverError(_ conn: OpaquePointer, _ result: OpaquePointer, sql: String?) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        guard let state = field("C") else { return connectionError(conn, sql: sql) }
        let sqlState = SQLState(state)
        var kind: PostgresError.Kind = .server
        if sqlState == .queryCanceled {
            kind = .cancelled
        } else if PQstatus(conn) != CONNECTION_OK || sqlState.errorClass == "08" || sqlState == .adminShutdown {
            kind = .connectionClosed
        }
        var error = PostgresError(
            kind: kind, sqlState: sqlState, message: field("M") ?? "", detail: field("D"), hint: field("H"),
            constraint: field("n"), table: field("t"), column: field("c"), query: sql)
        error.server.severity = field("V") ?? field("S")
        error.server.context = field("W")
        error.server.schema = field("s")
        error.server.dataType = field("d")
        error.server.position = field("P")
        error.server.internalPosition = field("p")
        error.server.internalQuery = field("q")
        error.server.sourceFile = field("F")
        error.server.sourceLine = field("L")
        error.server.sourceFunction = field("R")
        return error
    }

    /// libpq's own message for a failure with no server result: the connection is closed when it is no
    /// longer OK, else the client misused it.
    func connectionError(_ conn: OpaquePointer, sql: String?) -> PostgresError {
        let message = String(cString: PQerrorMessage(conn)).trimmingTrailingWhitespace
        let kind: PostgresError.Kind = PQstatus(conn) == CONNECTION_OK ? .client : .connectionClosed
        return PostgresError(kind: kind, message: message.isEmpty ? "connection lost" : message, query: sql)
    }
}

extension String {
    /// libpq's messages end in a newline.
    var trimmingTrailingWhitespace: String {
        var text = Substring(self)
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }
}
