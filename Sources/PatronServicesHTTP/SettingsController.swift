import Foundation
import Hummingbird
import Postgres

/// Settings inherited system → library → branch: the effective values for a branch with where each
/// came from, and saving a value at one level (audited).
struct SettingsController {
    let db: Database

    struct SettingChange: Decodable {
        var name: String
        var level: String
        var institutionId: Int64?
        var branchId: Int64?
        /// The new value; `null` clears the level's value so the level above applies again.
        var value: JSONValue?
    }

    func register(_ endpoints: Endpoints) {
        endpoints.on(.get, "settings/branches/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, """
                select coalesce((select jsonb_agg(jsonb_build_object('name', s.name, 'value', s.value, 'level', s.level,
                    'institutionId', s.institution_id, 'branchId', s.branch_id, 'updatedAt', s.updated_at) order by s.name)
                    from ps.resolve_setting(b.branch_id, null) s), '[]')
                from ps.branch b where b.branch_id = \(try context.id("id"))
                """, notFound: "branch")
        }
        endpoints.on(.put, "settings", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(SettingChange.self, context: context)
            guard ["system", "library", "branch"].contains(body.level) else {
                throw Problem.validation([.init(field: "level", code: "invalid", message: "system, library or branch.")])
            }
            let value = try body.value.map { try PostgresJSON(encoding: $0) }
            return try await db.staffJSON(request, context, """
                select jsonb_build_object('name', \(body.name)::text, 'level', \(body.level)::text, 'institutionId', \(body.institutionId)::bigint,
                    'branchId', \(body.branchId)::bigint, 'value', \(value)::jsonb)
                from (select ps.save_setting(\(body.name), \(body.level), \(body.institutionId), \(body.branchId), \(value)::jsonb)) s
                """)
        }
    }
}
