import Hummingbird
import PatronServices
import Postgres

extension CirculationController {
    struct Suspension: Decodable {
        var minutes: Int32
        var reason: String?
    }

    /// Suspending a patron (capped by the maximum suspension period), listing and lifting suspensions.
    func registerSuspensions(_ endpoints: Endpoints) {
        typealias Q = CirculationQueries
        endpoints.on(.get, "patrons/:id/suspensions", roles: StaffRole.circulation) { request, context in
            try await db.staffJSON(request, context, Q.suspensions(patron: try context.id("id")), notFound: "patron")
        }
        endpoints.on(.post, "patrons/:id/suspensions", roles: StaffRole.circulation) { request, context in
            let body = try await request.decodeJSON(Suspension.self, context: context)
            return try await db.staffJSON(request, context,
                Q.suspend(patron: try context.id("id"), minutes: body.minutes, reason: body.reason), status: .created)
        }
        endpoints.on(.post, "suspensions/:id/lift", roles: StaffRole.supervisors) { request, context in
            try await db.staffJSON(request, context, Q.liftSuspension(try context.id("id")), notFound: "suspension")
        }
    }
}
