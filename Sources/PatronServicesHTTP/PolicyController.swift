import Hummingbird
import Postgres

/// Patron Type Policies: the list with statuses, one policy, editing, and its history.
struct PolicyController {
    let db: Database

    func register(_ endpoints: Endpoints) {
        endpoints.on(.get, "patron-type-policies", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, """
                select coalesce(jsonb_agg(ps.api(to_jsonb(s)) order by s.policy_name), '[]') from ps.patron_type_policy_status s
                """)
        }
        endpoints.on(.get, "patron-type-policies/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, """
                select ps.api(to_jsonb(pp)) || jsonb_build_object('policyName', t.code)
                from ps.patron_type_policy pp join ps.patron_type t using (institution_id, patron_type_id)
                where pp.patron_type_id = \(try context.id("id"))
                """, notFound: "patron type policy")
        }
        endpoints.on(.put, "patron-type-policies/:id", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSONObject(context: context)
            return try await db.staffJSON(request, context, "select ps.save_patron_type_policy(\(try context.id("id")), \(body)::jsonb)",
                notFound: "patron type")
        }
        endpoints.on(.delete, "patron-type-policies/:id", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, """
                select ps.delete_patron_type(\(try context.id("id")), 'policy', \(request.query("confirm") == "true"))
                """, notFound: "patron type policy")
        }
        endpoints.on(.get, "patron-type-policies/:id/history", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, """
                select case when exists (select 1 from ps.patron_type where patron_type_id = \(try context.id("id")))
                    then coalesce((select jsonb_agg(ps.api(to_jsonb(h)) order by h.change_id) from ps.patron_type_policy_change h
                                   where h.patron_type_id = \(try context.id("id"))), '[]') end
                """, notFound: "patron type")
        }
    }
}
