import Hummingbird
import PatronServices
import Postgres

/// Staff CRUD for a library's items (barcode, owning branch, title, 876 ‡c cost, status).
struct ItemsController {
    let db: Database

    func register(_ endpoints: Endpoints) {
        endpoints.on(.get, "items", roles: StaffRole.readers) { request, context in
            let limit = try request.queryID("limit").map { Int(min($0, 1_000)) }
            return try await db.staffJSON(request, context, ItemQueries.items(
                branch: try request.queryID("branchId"), barcode: try request.query("barcode"), after: try request.queryID("afterItemId"), limit: limit))
        }
        endpoints.on(.post, "items", roles: StaffRole.supervisors) { request, context in
            let body = try await request.decodeJSONObject(context: context)
            return try await db.staffJSON(request, context, ItemQueries.save(nil, body), status: .created)
        }
        endpoints.on(.get, "items/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, ItemQueries.item(try context.id("id")), notFound: "item")
        }
        endpoints.on(.patch, "items/:id", roles: StaffRole.supervisors) { request, context in
            let body = try await request.decodeJSONObject(context: context)
            return try await db.staffJSON(request, context, ItemQueries.save(try context.id("id"), body), notFound: "item")
        }
        endpoints.on(.delete, "items/:id", roles: StaffRole.supervisors) { request, context in
            try await db.staffJSON(request, context, ItemQueries.delete(try context.id("id")), notFound: "item")
        }
    }
}
