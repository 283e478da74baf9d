import Hummingbird
import PatronServices
import Postgres

/// Patron Type Policies: the list with statuses, one policy, editing, and its history.
struct PolicyController {
    let db: Database

    func register(_ endpoints: Endpoints) {
        typealias Q = PolicyQueries
        endpoints.on(.get, "patron-type-policies", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.policies)
        }
        endpoints.on(.get, "patron-type-policies/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.policy(patronType: try context.id("id")), notFound: "patron type policy")
        }
        endpoints.on(.put, "patron-type-policies/:id", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSONObject(context: context)
            return try await db.staffJSON(request, context, Q.savePolicy(patronType: try context.id("id"), body), notFound: "patron type")
        }
        endpoints.on(.delete, "patron-type-policies/:id", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context,
                PatronQueries.deletePatronType(try context.id("id"), what: "policy", confirmed: try request.query("confirm") == "true"),
                notFound: "patron type policy")
        }
        endpoints.on(.get, "patron-type-policies/:id/history", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.history(patronType: try context.id("id")), notFound: "patron type")
        }
    }
}
