import Hummingbird
import Postgres

/// Membership policies, the memberships on a patron's account, and expiry reminders.
struct MembershipController {
    let db: Database

    struct Renewal: Decodable {
        var membershipPolicyId: Int64?
    }

    func register(_ endpoints: Endpoints) {
        endpoints.on(.get, "membership-policies", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, """
                select coalesce(jsonb_agg(ps.api(to_jsonb(mp)) order by mp.institution_id, mp.name), '[]') from ps.membership_policy mp
                """)
        }
        endpoints.on(.post, "membership-policies", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSONObject(context: context)
            return try await db.staffJSON(request, context, "select ps.save_membership_policy(null, \(body)::jsonb)", status: .created)
        }
        endpoints.on(.get, "membership-policies/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, """
                select ps.api(to_jsonb(mp)) from ps.membership_policy mp where mp.membership_policy_id = \(try context.id("id"))
                """, notFound: "membership policy")
        }
        endpoints.on(.patch, "membership-policies/:id", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSONObject(context: context)
            return try await db.staffJSON(request, context, "select ps.save_membership_policy(\(try context.id("id")), \(body)::jsonb)",
                notFound: "membership policy")
        }
        endpoints.on(.get, "patrons/:id/memberships", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, """
                select jsonb_build_object('patronId', p.patron_id, 'status', s.status, 'requiredMembershipPolicyId', s.required_policy_id,
                    'endsAt', s.ends_at,
                    'memberships', coalesce((select jsonb_agg(ps.api(to_jsonb(m)) order by m.membership_id) from ps.patron_membership m
                                             where m.patron_id = p.patron_id), '[]'))
                from ps.patron p cross join lateral ps.membership_status(p.patron_id) s
                where p.patron_id = \(try context.id("id")) and p.deleted_at is null
                """, notFound: "patron")
        }
        endpoints.on(.post, "patrons/:id/memberships", roles: StaffRole.circulation) { request, context in
            let body = try await request.decodeJSON(Renewal.self, context: context)
            return try await db.staffJSON(request, context,
                "select ps.renew_membership(\(try context.id("id")), \(body.membershipPolicyId))", status: .created, notFound: "patron")
        }
        endpoints.on(.post, "membership-reminders", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, "select ps.queue_membership_reminders()")
        }
    }
}
