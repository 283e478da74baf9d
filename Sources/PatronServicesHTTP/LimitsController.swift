import Hummingbird
import PatronServices
import Postgres

/// The settings behind the patron type policy limits: the Loan Limit Policy (per lending institution
/// and patron type), the Accruing Fines Policy and the overdue suspension rate (per institution).
struct LimitsController {
    let db: Database

    func register(_ endpoints: Endpoints) {
        typealias Q = PolicyQueries
        endpoints.on(.get, "loan-limit-policies", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.loanLimitPolicies)
        }
        endpoints.on(.put, "loan-limit-policies/:id", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSONObject(context: context)
            return try await db.staffJSON(request, context,
                Q.saveLoanLimitPolicy(institution: try request.queryID("institutionId"), patronType: try context.id("id"), body))
        }
        endpoints.on(.get, "accruing-fines-policy", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.accruingFinesPolicy(institution: try request.queryID("institutionId")), notFound: "library")
        }
        endpoints.on(.put, "accruing-fines-policy", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSONObject(context: context)
            return try await db.staffJSON(request, context, Q.saveAccruingFinesPolicy(institution: try request.queryID("institutionId"), body))
        }
        endpoints.on(.get, "overdue-suspension-policy", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context,
                Q.overdueSuspensionPolicy(institution: try request.queryID("institutionId")), notFound: "library")
        }
        endpoints.on(.put, "overdue-suspension-policy", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSONObject(context: context)
            return try await db.staffJSON(request, context,
                Q.saveOverdueSuspensionPolicy(institution: try request.queryID("institutionId"), body))
        }
    }
}
