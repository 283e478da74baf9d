import Foundation
import HTTPTypes
import Hummingbird
import PatronServices
import Postgres

/// Runs a request's database work in one transaction that starts by authenticating the caller in SQL,
/// so row-level security sees the caller's institution and role and Swift never passes a tenant itself.
struct Database: Sendable {
    let pool: PostgresPool

    /// The bearer token, or 401 before touching the database.
    static func bearerToken(_ request: Request) throws -> String {
        guard let header = request.headers[.authorization], header.prefix(7).lowercased() == "bearer ",
            case let token = Self.trimmingBlanks(header.utf8.dropFirst(7)), !token.isEmpty, token.count <= 200
        else {
            throw Problem(.unauthorized, code: "unauthenticated", detail: "Send Authorization: Bearer <staff token>.",
                headers: [.wwwAuthenticate: "Bearer"])
        }
        return token
    }

    /// The text between leading and trailing spaces and tabs (the only blanks an HTTP field value may
    /// hold), without Foundation's `trimmingCharacters`, which bridged through NSString: 3% of the
    /// service's CPU per staff request.
    private static func trimmingBlanks(_ bytes: Substring.UTF8View) -> String {
        let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !blank($0) }), let last = bytes.lastIndex(where: { !blank($0) }) else { return "" }
        return String(Substring(bytes[first...last]))
    }

    func authenticateStaff(_ request: Request, _ context: AppRequestContext) throws -> PostgresQuery {
        let token = try context.staffToken ?? Self.bearerToken(request)
        return StaffQueries.authenticate(token: token, roles: context.allowedRoles)
    }

    /// `begin`, authentication and `body`'s statements, then `commit`.
    func staff<T: Sendable>(
        _ request: Request, _ context: AppRequestContext,
        _ body: (PostgresConnection, StaffIdentity) async throws -> T
    ) async throws -> T {
        let authenticate = try authenticateStaff(request, context)
        return try await pool.withConnection { connection in
            let results = try await connection.pipeline(TransactionOptions().prelude + [authenticate])
            let identity = try StaffIdentity(row: results.last!.single())
            do {
                let value = try await body(connection, identity)
                try await connection.query("commit")
                return value
            } catch {
                _ = try? await connection.execute("rollback")
                throw error
            }
        }
    }

    /// One statement after authentication, pipelined with `begin` (and `options`' settings) and `commit`:
    /// one round trip.
    func staffQuery(
        _ request: Request, _ context: AppRequestContext, _ query: PostgresQuery, options: TransactionOptions = TransactionOptions()
    ) async throws -> PostgresResult {
        let (statements, index) = try staffStatements(request, context, query, options)
        return try await pool.withConnection { connection in try await connection.pipeline(statements)[index] }
    }

    /// ``staffQuery(_:_:_:options:)`` for statements with many rows, streamed: after authentication,
    /// `queries` run in the same transaction and their rows reach `rows` as they arrive, in binary form,
    /// with `pause` whenever the rest is still to come
    /// (``PostgresConnection/pipeline(_:streaming:rows:pause:)``).
    func staffStream(
        _ request: Request, _ context: AppRequestContext, _ queries: [PostgresQuery], options: TransactionOptions = TransactionOptions(),
        rows: @escaping @Sendable (PostgresRawResult) throws -> Void, pause: @escaping @Sendable () async throws -> Void
    ) async throws {
        let head = options.prelude + [try authenticateStaff(request, context)]
        let statements = head + queries + ["commit"]
        try await pool.withConnection { connection in
            try await connection.pipeline(statements, streaming: head.count..<(head.count + queries.count), rows: rows, pause: pause)
        }
    }

    /// A staff request's pipeline: `begin` and `options`' settings, authentication, `query`, `commit`; and
    /// where `query` is in it.
    private func staffStatements(
        _ request: Request, _ context: AppRequestContext, _ query: PostgresQuery, _ options: TransactionOptions
    ) throws -> (statements: [PostgresQuery], index: Int) {
        let statements = options.prelude + [try authenticateStaff(request, context), query, "commit"]
        return (statements, statements.count - 2)
    }
}

extension Database {
    /// Runs `query` (which returns one row with one json/jsonb column) after authentication and answers
    /// with that JSON; a NULL or absent row is 404 `notFound`.
    func staffJSON(
        _ request: Request, _ context: AppRequestContext, _ query: PostgresQuery,
        status: HTTPResponse.Status = .ok, notFound: String = "resource", options: TransactionOptions = TransactionOptions()
    ) async throws -> Response {
        let result = try await staffQuery(request, context, query, options: options)
        guard let text = result.first?.values.first ?? nil else { throw Problem.notFound(notFound) }
        return JSONResponse.text(text, status: status)
    }
}
