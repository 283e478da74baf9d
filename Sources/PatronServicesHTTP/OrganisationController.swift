import Hummingbird
import Postgres

/// Libraries, branches and circulation groups.
struct OrganisationController {
    let db: Database

    struct NewLibrary: Decodable {
        var code: String
        var name: String
        var currency: String
        var timeZone: String
    }

    struct LibraryChanges: Decodable {
        var name: String?
        var currency: String?
        var timeZone: String?
        var replyToEmail: String?
    }

    struct NewBranch: Decodable {
        var institutionId: Int64
        var code: String
        var name: String
        var timeZone: String
        var staffEmail: String?
    }

    struct BranchChanges: Decodable {
        var name: String?
        var timeZone: String?
        var staffEmail: String?
    }

    struct Move: Decodable { var institutionId: Int64 }
    struct NewGroup: Decodable { var name: String }

    func register(_ endpoints: Endpoints) {
        endpoints.on(.get, "libraries", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context,
                "select coalesce(jsonb_agg(ps.api(to_jsonb(l)) order by l.institution_id), '[]') from ps.library l")
        }
        endpoints.on(.post, "libraries", roles: [.consortiumAdmin]) { request, context in
            let body = try await request.decodeJSON(NewLibrary.self, context: context)
            return try await db.staffJSON(request, context, """
                insert into ps.library (code, name, currency, time_zone) values (\(body.code), \(body.name), \(body.currency), \(body.timeZone))
                returning ps.api(to_jsonb(library.*))
                """, status: .created)
        }
        endpoints.on(.get, "libraries/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context,
                "select ps.api(to_jsonb(l)) from ps.library l where l.institution_id = \(try context.id("id"))", notFound: "library")
        }
        endpoints.on(.patch, "libraries/:id", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(LibraryChanges.self, context: context)
            return try await db.staffJSON(request, context, """
                update ps.library set name = coalesce(\(body.name), name), currency = coalesce(\(body.currency), currency),
                    time_zone = coalesce(\(body.timeZone), time_zone), reply_to_email = coalesce(\(body.replyToEmail), reply_to_email),
                    updated_at = now()
                where institution_id = \(try context.id("id")) returning ps.api(to_jsonb(library.*))
                """, notFound: "library")
        }
        endpoints.on(.get, "branches", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, """
                select coalesce(jsonb_agg(ps.api(to_jsonb(b)) order by b.branch_id), '[]') from ps.branch b
                where \(try request.queryID("institutionId"))::bigint is null or b.institution_id = \(try request.queryID("institutionId"))
                """)
        }
        endpoints.on(.post, "branches", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(NewBranch.self, context: context)
            return try await db.staffJSON(request, context, """
                insert into ps.branch (institution_id, code, name, time_zone, staff_email)
                values (\(body.institutionId), \(body.code), \(body.name), \(body.timeZone), \(body.staffEmail))
                returning ps.api(to_jsonb(branch.*))
                """, status: .created)
        }
        endpoints.on(.get, "branches/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context,
                "select ps.api(to_jsonb(b)) from ps.branch b where b.branch_id = \(try context.id("id"))", notFound: "branch")
        }
        endpoints.on(.patch, "branches/:id", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(BranchChanges.self, context: context)
            return try await db.staffJSON(request, context, """
                update ps.branch set name = coalesce(\(body.name), name), time_zone = coalesce(\(body.timeZone), time_zone),
                    staff_email = coalesce(\(body.staffEmail), staff_email), updated_at = now()
                where branch_id = \(try context.id("id")) returning ps.api(to_jsonb(branch.*))
                """, notFound: "branch")
        }
        endpoints.on(.post, "branches/:id/move", roles: [.consortiumAdmin]) { request, context in
            let body = try await request.decodeJSON(Move.self, context: context)
            let id = try context.id("id")
            return try await db.staffJSON(request, context, "select ps.move_branch(\(id), \(body.institutionId))", notFound: "branch")
        }
        endpoints.on(.get, "circulation-groups", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, """
                select coalesce(jsonb_agg(jsonb_build_object('groupId', g.group_id, 'name', g.name,
                    'institutionIds', coalesce((select jsonb_agg(m.institution_id order by m.institution_id)
                        from ps.circulation_group_member m where m.group_id = g.group_id), '[]')) order by g.group_id), '[]')
                from ps.circulation_group g
                """)
        }
        endpoints.on(.post, "circulation-groups", roles: [.consortiumAdmin]) { request, context in
            let body = try await request.decodeJSON(NewGroup.self, context: context)
            return try await db.staffJSON(request, context, """
                insert into ps.circulation_group (name) values (\(body.name))
                returning jsonb_build_object('groupId', group_id, 'name', name, 'institutionIds', '[]'::jsonb)
                """, status: .created)
        }
        endpoints.on(.delete, "libraries/:id", roles: [.consortiumAdmin]) { request, context in
            try await db.staffJSON(request, context, "select ps.delete_library(\(try context.id("id")))", notFound: "library")
        }
        endpoints.on(.delete, "branches/:id", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, "select ps.delete_branch(\(try context.id("id")))", notFound: "branch")
        }
        endpoints.on(.delete, "circulation-groups/:id", roles: [.consortiumAdmin]) { request, context in
            try await db.staffJSON(request, context, """
                delete from ps.circulation_group where group_id = \(try context.id("id"))
                returning jsonb_build_object('groupId', group_id, 'deleted', true)
                """, notFound: "circulation group")
        }
        endpoints.on(.put, "circulation-groups/:id/members/:institutionId", roles: [.consortiumAdmin]) { request, context in
            let group = try context.id("id")
            let institution = try context.id("institutionId")
            return try await db.staffJSON(request, context, """
                with added as (
                    insert into ps.circulation_group_member (group_id, institution_id)
                    select g.group_id, l.institution_id from ps.circulation_group g, ps.library l
                    where g.group_id = \(group) and l.institution_id = \(institution)
                    on conflict do nothing returning 1)
                select jsonb_build_object('groupId', g.group_id, 'institutionId', l.institution_id)
                from ps.circulation_group g, ps.library l where g.group_id = \(group) and l.institution_id = \(institution)
                """, notFound: "circulation group or library")
        }
        endpoints.on(.delete, "circulation-groups/:id/members/:institutionId", roles: [.consortiumAdmin]) { request, context in
            try await db.staffJSON(request, context, """
                delete from ps.circulation_group_member where group_id = \(try context.id("id")) and institution_id = \(try context.id("institutionId"))
                returning jsonb_build_object('groupId', group_id, 'institutionId', institution_id, 'removed', true)
                """, notFound: "membership")
        }
    }
}
