import Foundation
import Postgres

/// Staff tokens and PAC client keys (`/staff/v1/tokens`, `/pac-clients`). Secrets are made and hashed in SQL.
public enum AccessQueries {
    public static let tokens: PostgresQuery =
        "select coalesce(jsonb_agg(ps.api(to_jsonb(t)) order by t.token_id), '[]') from ps.staff_tokens() t"

    /// Issues a token; the answer carries the secret, once, and its expiry (the configured lifetime when none is given).
    public static func createToken(role: StaffRole, institution: Int64?, label: String?, expiresAt: Date?) -> PostgresQuery {
        """
        select jsonb_build_object('tokenId', t.token_id, 'token', t.token, 'role', \(role)::text,
            'institutionId', \(institution)::bigint, 'expiresAt', t.expires_at)
        from ps.create_staff_token(\(role), \(institution), \(label), \(expiresAt), current_setting('ps.actor')) t
        """
    }

    public static func revokeToken(_ id: Int64) -> PostgresQuery {
        "select jsonb_build_object('tokenId', \(id)::bigint, 'revoked', true) where ps.revoke_staff_token(\(id))"
    }

    public static let clients: PostgresQuery =
        "select coalesce(jsonb_agg(ps.api(to_jsonb(c)) order by c.client_id), '[]') from ps.pac_clients() c"

    /// Issues a PAC client key bound to a connection branch, usable from pages on `origins`; the answer
    /// carries the key, once.
    public static func createClient(branch: Int64, label: String?, origins: [String]?) throws -> PostgresQuery {
        let origins = try origins.map { try PostgresJSON(encoding: $0) }
        return """
        select jsonb_build_object('clientId', c.client_id, 'clientKey', c.client_key, 'branchId', \(branch)::bigint,
                                  'allowedOrigins', coalesce(\(origins)::jsonb, '[]'))
        from ps.create_pac_client(\(branch), \(label), current_setting('ps.actor'), \(origins)::jsonb) c
        """
    }

    /// Replaces the browser origins allowed to use a PAC client key.
    public static func setClientOrigins(_ id: Int64, origins: [String]?) throws -> PostgresQuery {
        let origins = try origins.map { try PostgresJSON(encoding: $0) }
        return "select ps.set_pac_client_origins(\(id), \(origins)::jsonb)"
    }

    public static func revokeClient(_ id: Int64) -> PostgresQuery {
        "select jsonb_build_object('clientId', \(id)::bigint, 'revoked', true) where ps.revoke_pac_client(\(id))"
    }
}
