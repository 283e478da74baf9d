import Hummingbird
import Postgres

/// Bills: the patron's bills view, posting a bill, payments and waivers.
struct BillsController {
    let db: Database

    struct NewBill: Decodable {
        var patronId: Int64
        var kind: String
        var amountMinor: Int64
    }

    struct Settlement: Decodable {
        var amountMinor: Int64
    }

    func register(_ endpoints: Endpoints) {
        endpoints.on(.get, "patrons/:id/bills", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, "select ps.patron_bills(\(try context.id("id")))", notFound: "patron")
        }
        endpoints.on(.post, "bills", roles: StaffRole.circulation) { request, context in
            let body = try await request.decodeJSON(NewBill.self, context: context)
            return try await db.staffJSON(request, context, """
                insert into ps.bill (institution_id, patron_id, kind, amount_minor, posted_at)
                select ps.current_institution_id(), p.patron_id, \(body.kind), \(body.amountMinor), now()
                from ps.patron p where p.patron_id = \(body.patronId)
                returning ps.api(to_jsonb(bill.*))
                """, status: .created, notFound: "patron")
        }
        endpoints.on(.post, "bills/:id/cancel", roles: StaffRole.supervisors) { request, context in
            try await db.staffJSON(request, context, "select ps.cancel_bill(\(try context.id("id")))", notFound: "bill")
        }
        for (path, kind) in [("bills/:id/payments", "payment"), ("bills/:id/waivers", "waiver")] {
            endpoints.on(.post, path, roles: StaffRole.circulation) { request, context in
                let body = try await request.decodeJSON(Settlement.self, context: context)
                return try await db.staffJSON(request, context,
                    "select ps.settle_bill(\(try context.id("id")), \(body.amountMinor), \(kind))", notFound: "bill")
            }
        }
    }
}
