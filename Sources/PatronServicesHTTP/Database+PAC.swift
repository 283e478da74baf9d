import HTTPTypes
import Hummingbird
import PatronServices
import Postgres

extension Database {
    static let clientKeyHeader = HTTPField.Name("X-PAC-Client-Key")!

    /// The PAC client key, or 401 before touching the database.
    static func clientKey(_ request: Request) throws -> String {
        guard let key = request.headers[clientKeyHeader], !key.isEmpty, key.count <= 200 else {
            throw Problem(.unauthorized, code: "invalid_client_key", detail: "Send the PAC client key in X-PAC-Client-Key.")
        }
        return key
    }

    /// The patron session token (`Authorization: Bearer`), if any.
    static func sessionToken(_ request: Request, required: Bool) throws -> String? {
        guard let header = request.headers[.authorization] else {
            if required {
                throw Problem(.unauthorized, code: "sign_in_required", detail: "Sign in first.", headers: [.wwwAuthenticate: "Bearer"])
            }
            return nil
        }
        guard header.lowercased().hasPrefix("bearer "), header.count <= 220 else {
            throw Problem(.unauthorized, code: "session_expired", detail: "Sign in again.")
        }
        return String(header.dropFirst(7))
    }

    /// The transaction of a PAC request: with the browser origin the key must list, when there is one.
    static func pacTransaction(_ context: AppRequestContext) -> TransactionOptions {
        TransactionOptions(settings: context.browserOrigin.map { [("ps.origin", $0)] } ?? [])
    }

    /// `query` after `ps.authenticate_pac`, pipelined with `begin` and `commit`; answers its JSON.
    func pacJSON(_ request: Request, _ context: AppRequestContext, sessionRequired: Bool, _ query: PostgresQuery, notFound: String = "resource")
        async throws -> Response
    {
        let key = try Self.clientKey(request)
        let session = try Self.sessionToken(request, required: sessionRequired)
        let statements = Self.pacTransaction(context).prelude + [AccountUpdateQueries.authenticatePAC(clientKey: key, session: session), query, "commit"]
        let results = try await pool.withConnection { try await $0.pipeline(statements) }
        guard let text = results[statements.count - 2].first?.values.first ?? nil else { throw Problem.notFound(notFound) }
        return JSONResponse.text(text)
    }
}
