import Foundation
import HTTPTypes
import Hummingbird
import Postgres

/// Online patron account updates: the PAC side (options, submit, opt-outs) and the staff side
/// (Patron Access Options, the change-request queue, per-field decisions).
struct AccountUpdatesController {
    let db: Database
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    struct AccessOptionsChange: Decodable {
        var level: String
        var institutionId: Int64?
        var branchId: Int64?
        var options: [String: JSONValue?]
    }

    struct Decision: Decodable {
        var decision: String
        var reason: String?
    }

    func registerPAC(_ endpoints: Endpoints) {
        endpoints.on(.get, "options") { request, _ in
            try await db.pacJSON(request, sessionRequired: false, """
                select ps.pac_options(s.branch_id, nullif(current_setting('ps.patron_id'), '')::bigint) - 'sources'
                    || jsonb_build_object('scope', jsonb_build_object('branchId', s.branch_id, 'reason', s.reason))
                from ps.pac_scope(current_setting('ps.connection_branch_id')::bigint, nullif(current_setting('ps.patron_id'), '')::bigint) s
                """)
        }
        endpoints.on(.post, "change-requests") { request, context in
            let key = request.headers[Self.idempotencyKey]
            if let key, key.isEmpty || key.count > 200 {
                throw Problem(.badRequest, code: "invalid_idempotency_key", detail: "Idempotency-Key must be 1 to 200 characters.")
            }
            let changes = try await request.decodeJSONObject(context: context)
            return try await db.pacJSON(request, sessionRequired: true, "select ps.submit_change_request(\(changes)::jsonb, \(key))")
        }
        endpoints.on(.put, "notice-opt-outs") { request, context in
            let body = try await request.decodeJSONObject(context: context)
            return try await db.pacJSON(request, sessionRequired: true, "select ps.update_notice_optouts(\(body)::jsonb)")
        }
    }

    func registerStaff(_ endpoints: Endpoints) {
        endpoints.on(.get, "patron-access-options/branches/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, """
                select ps.pac_options(b.branch_id, null) from ps.branch b where b.branch_id = \(try context.id("id"))
                """, notFound: "branch")
        }
        endpoints.on(.put, "patron-access-options", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(AccessOptionsChange.self, context: context)
            guard ["system", "library", "branch"].contains(body.level) else {
                throw Problem.validation([.init(field: "level", code: "invalid", message: "system, library or branch.")])
            }
            if body.level == "branch", body.branchId == nil {
                throw Problem.validation([.init(field: "branchId", code: "required", message: "Give the branch.")])
            }
            let options = try PostgresJSON(encoding: body.options)
            let branch = body.branchId
            return try await db.staffJSON(request, context, """
                select ps.pac_options(coalesce(\(branch)::bigint, (select min(branch_id) from ps.branch
                        where institution_id = coalesce(\(body.institutionId)::bigint, ps.current_institution_id()))), null)
                    || jsonb_build_object('saved', true)
                from (select ps.save_access_options(\(body.level), \(body.institutionId), \(branch), \(options)::jsonb)) s
                """)
        }
        for (method, add) in [(HTTPRequest.Method.put, true), (.delete, false)] {
            endpoints.on(method, "patron-access-options/patron-codes/:code", roles: StaffRole.admins) { request, context in
                guard let code = context.parameters.get("code"), (1...40).contains(code.count) else { throw Problem.notFound("patron code") }
                let level = request.query("level") ?? "library"
                guard ["system", "library", "branch"].contains(level) else {
                    throw Problem(.badRequest, code: "invalid_query", detail: "level is system, library or branch.",
                        errors: [.init(field: "level", code: "invalid", message: "system, library or branch.")])
                }
                let institution = try request.queryID("institutionId")
                let branch = try request.queryID("branchId")
                return try await db.staffJSON(request, context, """
                    select jsonb_build_object('level', \(level)::text, 'updatePatronTypes',
                        ps.edit_update_patron_types(\(level), coalesce(\(institution)::bigint, ps.current_institution_id()), \(branch), \(code), \(add)))
                    """)
            }
        }
        endpoints.on(.get, "change-requests", roles: StaffRole.circulation + [.reportReader]) { request, context in
            let branch = try request.queryID("branchId")
            let hours = try request.queryID("minAgeHours")
            return try await db.staffJSON(request, context, """
                select coalesce(jsonb_agg(ps.api(to_jsonb(q)) order by q.submitted_at, q.request_id), '[]') from ps.change_request_queue q
                where (\(branch)::bigint is null or q.branch_id = \(branch))
                  and (\(hours)::bigint is null or q.age >= make_interval(hours => \(hours)::int))
                """)
        }
        endpoints.on(.post, "change-requests/:id/fields/:field/decision", roles: StaffRole.circulation) { request, context in
            let body = try await request.decodeJSON(Decision.self, context: context)
            guard let field = context.parameters.get("field"), ["address", "email", "phone", "notification_method"].contains(field) else {
                throw Problem.notFound("field")
            }
            return try await db.staffJSON(request, context, """
                select ps.decide_change_field(\(try context.id("id")), \(field), \(body.decision), \(body.reason))
                """, notFound: "change request")
        }
        endpoints.on(.get, "patrons/:id/change-history", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, """
                select case when exists (select 1 from ps.patron where patron_id = \(try context.id("id")))
                    then coalesce((select jsonb_agg(ps.api(to_jsonb(e)) order by e.event_id) from ps.change_request_event e
                                   where e.patron_id = \(try context.id("id"))), '[]') end
                """, notFound: "patron")
        }
    }
}
