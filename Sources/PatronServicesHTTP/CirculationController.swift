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
        endpoints.on(.get, "patrons/:id/eligibility", roles: StaffQueries.eligibilityRoles) { request, context in
            guard let branch = try request.queryID("branchId") else {
                throw Problem(.badRequest, code: "invalid_query", detail: "branchId is required.",
                    errors: [.init(field: "branchId", code: "required", message: "The branch where the transaction happens.")])
            }
            let query = StaffQueries.eligibility(patron: try context.id("id"), branch: branch, action: request.query("action") ?? "checkout")
            return try await db.staffJSON(request, context, query, notFound: "patron")
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

extension CirculationController {
    struct Renewal: Decodable {
        var dueAt: Date?
        var overrideComment: String?
        var acknowledge: [String]?
    }

    struct Claim: Decodable {
        /// claimed_lost, claimed_returned, claimed_never_had, or null to clear.
        var claim: String?
    }

    func registerLoans(_ endpoints: Endpoints) {
        endpoints.on(.post, "loans/:id/renew", roles: StaffRole.circulation) { request, context in
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let body = try await request.decodeJSON(Renewal.self, context: context, decoder: decoder)
            return try await db.staffJSON(request, context, """
                select ps.renew(\(try context.id("id")), \(body.dueAt), \(body.overrideComment), \(body.acknowledge ?? [])::text[])
                """, notFound: "loan")
        }
        endpoints.on(.post, "loans/:id/check-in", roles: StaffRole.circulation) { request, context in
            try await db.staffJSON(request, context, "select ps.check_in(\(try context.id("id")))", notFound: "loan")
        }
        endpoints.on(.put, "loans/:id/claim", roles: StaffRole.circulation) { request, context in
            let body = try await request.decodeJSON(Claim.self, context: context)
            return try await db.staffJSON(request, context, "select ps.set_claim(\(try context.id("id")), \(body.claim))", notFound: "loan")
        }
    }
}
