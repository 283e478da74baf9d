import Foundation
import Hummingbird
import PatronServices
import Postgres

/// Eligibility and checkout under the patron type policy of the patron's home institution.
struct CirculationController {
    let db: Database

    struct Checkout: Decodable {
        var patronId: Int64
        var itemBarcode: String
        var branchId: Int64
        /// When absent, the checkout branch's loan period applies (setting circulation.loan_period_days).
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
            let query = StaffQueries.eligibility(patron: try context.id("id"), branch: branch, action: try request.query("action") ?? "checkout")
            return try await db.staffJSON(request, context, query, notFound: "patron")
        }
        endpoints.on(.post, "checkouts", roles: StaffRole.circulation) { request, context in
            let body = try await request.decodeJSON(Checkout.self, context: context)
            return try await db.staffJSON(request, context, CirculationQueries.checkout(patron: body.patronId, itemBarcode: body.itemBarcode,
                branch: body.branchId, dueAt: body.dueAt, overrideComment: body.overrideComment, acknowledge: body.acknowledge ?? []),
                status: .created)
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
        var claim: LoanClaim?
    }

    func registerLoans(_ endpoints: Endpoints) {
        typealias Q = CirculationQueries
        endpoints.on(.post, "loans/:id/renew", roles: StaffRole.circulation) { request, context in
            let body = try await request.decodeJSON(Renewal.self, context: context)
            return try await db.staffJSON(request, context, Q.renew(loan: try context.id("id"), dueAt: body.dueAt,
                overrideComment: body.overrideComment, acknowledge: body.acknowledge ?? []), notFound: "loan")
        }
        endpoints.on(.post, "loans/:id/check-in", roles: StaffRole.circulation) { request, context in
            try await db.staffJSON(request, context, Q.checkIn(loan: try context.id("id")), notFound: "loan")
        }
        endpoints.on(.put, "loans/:id/claim", roles: StaffRole.circulation) { request, context in
            let body = try await request.decodeJSON(Claim.self, context: context)
            return try await db.staffJSON(request, context, Q.setClaim(loan: try context.id("id"), claim: body.claim), notFound: "loan")
        }
    }
}
