import Foundation
import Hummingbird
import Postgres

/// Eligibility and checkout under the patron type policy of the patron's home institution.
struct CirculationController {
    let db: Database

    struct Checkout: Decodable {
        var patronId: Int64
        var itemBarcode: String
        var branchId: Int64
        var dueAt: Date?
        var overrideComment: String?
        var acknowledge: [String]?
    }

    func register(_ endpoints: Endpoints) {
        endpoints.on(.get, "patrons/:id/eligibility", roles: StaffRole.circulation) { request, context in
            guard let branch = try request.queryID("branchId") else {
                throw Problem(.badRequest, code: "invalid_query", detail: "branchId is required.",
                    errors: [.init(field: "branchId", code: "required", message: "The branch where the transaction happens.")])
            }
            let action = request.query("action") ?? "checkout"
            return try await db.staffJSON(request, context, """
                select jsonb_build_object('patronId', \(try context.id("id"))::bigint, 'branchId', \(branch)::bigint, 'action', \(action)::text,
                    'allowed', not coalesce(bool_or(e.blocks), false),
                    'conditions', coalesce(jsonb_agg(ps.api(to_jsonb(e)) order by e.condition), '[]'))
                from ps.eligibility(\(try context.id("id")), \(branch), \(action)) e
                """, notFound: "patron")
        }
        endpoints.on(.post, "checkouts", roles: StaffRole.circulation) { request, context in
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let body = try await request.decodeJSON(Checkout.self, context: context, decoder: decoder)
            let due = body.dueAt ?? Date().addingTimeInterval(21 * 86_400)
            return try await db.staffJSON(request, context, """
                select ps.checkout(\(body.patronId), \(body.itemBarcode), \(body.branchId), \(due), \(body.overrideComment),
                    \(body.acknowledge ?? [])::text[])
                """, status: .created)
        }
    }
}
