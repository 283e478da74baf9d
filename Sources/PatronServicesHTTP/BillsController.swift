import Hummingbird
import PatronServices
import Postgres

/// Bills: the patron's bills view, posting a bill, payments and waivers.
struct BillsController {
    let db: Database

    struct NewBill: Decodable {
        var patronId: Int64
        var kind: BillKind
        var amountMinor: Int64
    }

    struct Settlement: Decodable {
        var amountMinor: Int64
    }

    func register(_ endpoints: Endpoints) {
        typealias Q = BillingQueries
        endpoints.on(.get, "patrons/:id/bills", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.patronBills(try context.id("id")), notFound: "patron")
        }
        endpoints.on(.post, "bills", roles: StaffRole.circulation) { request, context in
            let body = try await request.decodeJSON(NewBill.self, context: context)
            return try await db.staffJSON(request, context, Q.postBill(patron: body.patronId, kind: body.kind, amountMinor: body.amountMinor),
                status: .created, notFound: "patron")
        }
        endpoints.on(.post, "bills/:id/cancel", roles: StaffRole.supervisors) { request, context in
            try await db.staffJSON(request, context, Q.cancel(bill: try context.id("id")), notFound: "bill")
        }
        for (path, settlement) in [("bills/:id/payments", PatronServices.Settlement.payment), ("bills/:id/waivers", .waiver)] {
            endpoints.on(.post, path, roles: StaffRole.circulation) { request, context in
                let body = try await request.decodeJSON(Settlement.self, context: context)
                return try await db.staffJSON(request, context,
                    Q.settle(bill: try context.id("id"), amountMinor: body.amountMinor, as: settlement), notFound: "bill")
            }
        }
    }
}
