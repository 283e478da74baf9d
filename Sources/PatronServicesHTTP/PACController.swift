import Foundation
import Hummingbird
import PatronServices
import Postgres

/// The PAC API: patron sign-in, the scope whose options apply, the signed-in patron's account.
struct PACController {
    let db: Database

    struct SignIn: Decodable {
        var barcode: String
        var pin: String
    }

    func register(_ endpoints: Endpoints) {
        endpoints.on(.post, "sign-in") { request, context in
            let key = try Database.clientKey(request)
            let body = try await request.decodeJSON(SignIn.self, context: context)
            guard body.barcode.count <= 40, body.pin.count <= 64 else {
                throw Problem(.unauthorized, code: "invalid_credentials", detail: "The barcode or PIN is not right.")
            }
            let token = SessionToken.make()
            let row = try await db.pool.transactionalQuery(
                AccountUpdateQueries.signIn(clientKey: key, barcode: body.barcode, pin: body.pin, session: token,
                    source: context.remoteAddress?.ipAddress), options: Database.pacTransaction(context)
            ).single()
            switch try row.decode("outcome", as: String.self) {
            case "signed_in":
                struct Session: Encodable {
                    var sessionToken: String
                    var patronId: Int64
                    var expiresAt: Date
                }
                return try JSONResponse.make(
                    Session(sessionToken: token, patronId: try row.decode("patron_id"), expiresAt: try row.decode("expires_at")),
                    status: .created)
            case "locked":
                let retry = try row.decode("retry_after_seconds", as: Int.self)
                throw Problem(.tooManyRequests, code: "sign_in_locked",
                    detail: "Too many failed sign-ins; try again in \(retry) seconds.", headers: [.retryAfter: String(retry)])
            default:
                throw Problem(.unauthorized, code: "invalid_credentials", detail: "The barcode or PIN is not right.")
            }
        }
        endpoints.on(.get, "scope") { request, context in
            try await db.pacJSON(request, context, sessionRequired: false, AccountUpdateQueries.scope)
        }
        endpoints.on(.delete, "session") { request, context in
            try await db.pacJSON(request, context, sessionRequired: true, AccountUpdateQueries.signOut)
        }
        endpoints.on(.get, "account") { request, context in
            try await db.pacJSON(request, context, sessionRequired: true, AccountUpdateQueries.account, notFound: "patron")
        }
    }
}

/// Random session tokens: 256 bits, hex.
enum SessionToken {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return "pss_" + (0..<4).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
    }
}
