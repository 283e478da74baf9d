import Hummingbird
import PatronServices
import Postgres

/// Membership policies, the memberships on a patron's account, and expiry reminders.
struct MembershipController {
    let db: Database

    struct Renewal: Decodable {
        var membershipPolicyId: Int64?
    }

    func register(_ endpoints: Endpoints) {
        typealias Q = BillingQueries
        endpoints.on(.get, "membership-policies", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.membershipPolicies)
        }
        endpoints.on(.post, "membership-policies", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSONObject(context: context)
            return try await db.staffJSON(request, context, Q.saveMembershipPolicy(nil, body), status: .created)
        }
        endpoints.on(.get, "membership-policies/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.membershipPolicy(try context.id("id")), notFound: "membership policy")
        }
        endpoints.on(.patch, "membership-policies/:id", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSONObject(context: context)
            return try await db.staffJSON(request, context, Q.saveMembershipPolicy(try context.id("id"), body), notFound: "membership policy")
        }
        endpoints.on(.get, "patrons/:id/memberships", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.memberships(patron: try context.id("id")), notFound: "patron")
        }
        endpoints.on(.post, "patrons/:id/memberships", roles: StaffRole.circulation) { request, context in
            let body = try await request.decodeJSON(Renewal.self, context: context)
            return try await db.staffJSON(request, context,
                Q.renewMembership(patron: try context.id("id"), policy: body.membershipPolicyId), status: .created, notFound: "patron")
        }
        endpoints.on(.post, "membership-reminders", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, Q.queueMembershipReminders)
        }
    }
}
