import Foundation
import Hummingbird
import PatronServices
import Postgres

/// Staff tokens and PAC client keys, issued and revoked by administrators.
struct AccessController {
    let db: Database
    /// Told when a key's browser origins change, so CORS answers follow at once in this process.
    let keyOrigins: PACOriginDirectory

    struct NewToken: Decodable {
        var role: StaffRole
        var institutionId: Int64?
        var label: String?
        var expiresAt: Date?
    }

    struct NewClient: Decodable {
        var branchId: Int64
        var label: String?
        /// Browser origins (`https://pac.example.org`) whose pages may use the key, besides the global list.
        var allowedOrigins: [String]?
    }

    struct ClientOrigins: Decodable {
        var allowedOrigins: [String]?
    }

    func register(_ endpoints: Endpoints) {
        typealias Q = AccessQueries
        endpoints.on(.get, "tokens", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, Q.tokens)
        }
        endpoints.on(.post, "tokens", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(NewToken.self, context: context)
            return try await db.staffJSON(request, context,
                Q.createToken(role: body.role, institution: body.institutionId, label: body.label, expiresAt: body.expiresAt), status: .created)
        }
        endpoints.on(.delete, "tokens/:id", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, Q.revokeToken(try context.id("id")), notFound: "token")
        }
        endpoints.on(.get, "pac-clients", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, Q.clients)
        }
        endpoints.on(.post, "pac-clients", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(NewClient.self, context: context)
            let response = try await db.staffJSON(request, context,
                try Q.createClient(branch: body.branchId, label: body.label, origins: body.allowedOrigins), status: .created)
            await keyOrigins.forget()
            return response
        }
        endpoints.on(.patch, "pac-clients/:id", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(ClientOrigins.self, context: context)
            let response = try await db.staffJSON(request, context, try Q.setClientOrigins(try context.id("id"), origins: body.allowedOrigins),
                notFound: "PAC client")
            await keyOrigins.forget()
            return response
        }
        endpoints.on(.delete, "pac-clients/:id", roles: StaffRole.admins) { request, context in
            let response = try await db.staffJSON(request, context, Q.revokeClient(try context.id("id")), notFound: "PAC client")
            await keyOrigins.forget()
            return response
        }
    }
}
