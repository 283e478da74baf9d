import Foundation
import Hummingbird
import Postgres

/// Staff tokens and PAC client keys, issued and revoked by administrators.
struct AccessController {
    let db: Database

    struct NewToken: Decodable {
        var role: StaffRole
        var institutionId: Int64?
        var label: String?
        var expiresAt: Date?
    }

    struct NewClient: Decodable {
        var branchId: Int64
        var label: String?
    }

    func register(_ endpoints: Endpoints) {
        endpoints.on(.get, "tokens", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, "select coalesce(jsonb_agg(ps.api(to_jsonb(t)) order by t.token_id), '[]') from ps.staff_tokens() t")
        }
        endpoints.on(.post, "tokens", roles: StaffRole.admins) { request, context in
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let body = try await request.decodeJSON(NewToken.self, context: context, decoder: decoder)
            return try await db.staffJSON(request, context, """
                select jsonb_build_object('tokenId', t.token_id, 'token', t.token, 'role', \(body.role.rawValue)::text,
                    'institutionId', \(body.institutionId)::bigint, 'expiresAt', \(body.expiresAt)::timestamptz)
                from ps.create_staff_token(\(body.role.rawValue), \(body.institutionId), \(body.label), \(body.expiresAt),
                    current_setting('ps.actor')) t
                """, status: .created)
        }
        endpoints.on(.delete, "tokens/:id", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, """
                select jsonb_build_object('tokenId', \(try context.id("id"))::bigint, 'revoked', true) where ps.revoke_staff_token(\(try context.id("id")))
                """, notFound: "token")
        }
        endpoints.on(.get, "pac-clients", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, "select coalesce(jsonb_agg(ps.api(to_jsonb(c)) order by c.client_id), '[]') from ps.pac_clients() c")
        }
        endpoints.on(.post, "pac-clients", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(NewClient.self, context: context)
            return try await db.staffJSON(request, context, """
                select jsonb_build_object('clientId', c.client_id, 'clientKey', c.client_key, 'branchId', \(body.branchId)::bigint)
                from ps.create_pac_client(\(body.branchId), \(body.label), current_setting('ps.actor')) c
                """, status: .created)
        }
        endpoints.on(.delete, "pac-clients/:id", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, """
                select jsonb_build_object('clientId', \(try context.id("id"))::bigint, 'revoked', true) where ps.revoke_pac_client(\(try context.id("id")))
                """, notFound: "PAC client")
        }
    }
}
