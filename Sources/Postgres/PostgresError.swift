/// An error reported by the server or by libpq.
///
/// Modelled on PostgresNIO's `PSQLError`: ``description`` is safe to log or show (it carries the
/// SQLSTATE and the kind of failure but never the statement or its parameters), while
/// ``debugDescription`` carries everything the server said, for developers.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong, at the level a caller can act on.
    public enum Kind: String, Sendable {
        /// The server rejected a statement; ``PostgresError/sqlState`` says why.
        case server
        /// libpq could not connect.
        case connectionFailed
        /// The connection was lost while in use.
        case connectionClosed
        /// The pool had no free connection within its timeout.
        case poolTimeout
        /// Every connection is in use and the wait queue is full (``PostgresPool/Configuration/maxWaiters``).
        case poolBusy
        /// The pool has been shut down.
        case poolClosed
        /// The query was cancelled (task cancellation or `statement_timeout`).
        case cancelled
        /// A value could not be decoded into the requested Swift type.
        case decoding
        /// The caller misused the API (wrong column, COPY protocol state, …).
        case client
    }

    public var kind: Kind
    /// The five-character SQLSTATE, when the server sent one.
    public var sqlState: SQLState?
    /// The server's primary message (may contain data values: see `debugDescription`).
    public var message: String
    public var detail: String?
    public var hint: String?
    public var constraint: String?
    public var table: String?
    public var column: String?
    /// The server's other fields (`PG_DIAG_*`), for ``debugDescription`` and logs of unexpected errors.
    public var server = ServerFields()
    /// The statement that failed; only ever shown in ``debugDescription``.
    public var query: String?

    /// The fields of a server error beyond the ones callers branch on.
    public struct ServerFields: Sendable, Equatable {
        /// `ERROR`, `FATAL`, … (not localised).
        public var severity: String?
        /// The call stack of PL/pgSQL functions and SQL statements that raised it: which function, which line.
        public var context: String?
        public var schema: String?
        public var dataType: String?
        /// The cursor position in the statement (1-based characters), and in an internal (PL/pgSQL) query.
        public var position: String?
        public var internalPosition: String?
        public var internalQuery: String?
        /// Where in PostgreSQL's source it was raised.
        public var sourceFile: String?
        public var sourceLine: String?
        public var sourceFunction: String?

        public init() {}
    }
    /// The connection was found dead before anything was sent: the pool retries on a fresh one.
    var staleBeforeUse = false

    public init(
        kind: Kind,
        sqlState: SQLState? = nil,
        message: String,
        detail: String? = nil,
        hint: String? = nil,
        constraint: String? = nil,
        table: String? = nil,
        column: String? = nil,
        query: String? = nil
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.table = table
        self.column = column
        self.query = query
    }

    /// Safe to log: SQLSTATE, kind and constraint name, never values or statements.
    public var description: String {
        var text = "PostgresError(\(kind.rawValue)"
        if let sqlState { text += ", sqlState: \(sqlState.rawValue)" }
        if let constraint { text += ", constraint: \(constraint)" }
        return text + ")"
    }

    /// Everything known about the failure, including the statement; not for production logs.
    public var debugDescription: String {
        var parts = ["kind: \(kind.rawValue)"]
        if let sqlState { parts.append("sqlState: \(sqlState.rawValue)") }
        parts.append("message: \(message)")
        if let detail { parts.append("detail: \(detail)") }
        if let hint { parts.append("hint: \(hint)") }
        if let constraint { parts.append("constraint: \(constraint)") }
        if let table { parts.append("table: \(table)") }
        if let column { parts.append("column: \(column)") }
        if let schema = server.schema { parts.append("schema: \(schema)") }
        if let dataType = server.dataType { parts.append("dataType: \(dataType)") }
        if let context = server.context { parts.append("context: \(context)") }
        if let internalQuery = server.internalQuery { parts.append("internalQuery: \(internalQuery)") }
        if let position = server.position { parts.append("position: \(position)") }
        if let severity = server.severity { parts.append("severity: \(severity)") }
        if let file = server.sourceFile { parts.append("source: \(file):\(server.sourceLine ?? "?") \(server.sourceFunction ?? "")") }
        if let query { parts.append("query: \(query)") }
        return "PostgresError(" + parts.joined(separator: ", ") + ")"
    }

    static func client(_ message: String) -> PostgresError {
        PostgresError(kind: .client, message: message)
    }

    static func decoding(_ message: String) -> PostgresError {
        PostgresError(kind: .decoding, message: message)
    }
}
