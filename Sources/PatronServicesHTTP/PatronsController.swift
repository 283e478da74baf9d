import Foundation
import Hummingbird
import PatronServices
import Postgres

/// Patron types, postal codes, patrons, and the cross-institution circulation lookup.
struct PatronsController {
    let db: Database

    struct NewPatronType: Decodable {
        var institutionId: Int64?
        var code: String
        var description: String?
        var replyToEmail: String?
    }

    struct PatronTypeChanges: Decodable {
        var description: String?
        var replyToEmail: String?
    }

    struct NewPostalCode: Decodable {
        var postalCode: String
        var city: String
        var state: String?
        var county: String?
        var country: String?
    }

    /// The fields of a patron the API accepts; absent fields are left as they are on update.
    struct PatronInput: Codable {
        var barcode: String?
        var registeredBranchId: Int64?
        var patronTypeId: Int64?
        var firstName: String?
        var lastName: String?
        var addressLine1: String?
        var addressLine2: String?
        var city: String?
        var state: String?
        var postalCode: String?
        var country: String?
        var email: String?
        var altEmail: String?
        var institutionEmail: String?
        var phone1: String?
        var phone2: String?
        var phone3: String?
        var notificationMethod: String?
        var expirationDate: String?
        var pin: String?

        /// snake_case JSON for `ps.save_patron`, without the absent fields.
        func json() throws -> PostgresJSON {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            return PostgresJSON(text: String(decoding: try encoder.encode(self), as: UTF8.self))
        }
    }

    func register(_ endpoints: Endpoints) {
        typealias Q = PatronQueries
        endpoints.on(.get, "patron-types", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.patronTypes(includeDeleted: try request.query("includeDeleted") == "true"))
        }
        endpoints.on(.post, "patron-types", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(NewPatronType.self, context: context)
            return try await db.staffJSON(request, context, Q.createPatronType(institution: body.institutionId, code: body.code,
                description: body.description, replyToEmail: body.replyToEmail), status: .created)
        }
        endpoints.on(.patch, "patron-types/:id", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(PatronTypeChanges.self, context: context)
            return try await db.staffJSON(request, context,
                Q.updatePatronType(try context.id("id"), description: body.description, replyToEmail: body.replyToEmail), notFound: "patron type")
        }
        endpoints.on(.get, "patrons/:id/contact-options", roles: StaffRole.circulation) { request, context in
            try await db.staffJSON(request, context, Q.contactOptions(try context.id("id")), notFound: "patron")
        }
        endpoints.on(.get, "patron-types/:id/impact", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, Q.patronTypeImpact(try context.id("id")), notFound: "patron type")
        }
        endpoints.on(.delete, "patron-types/:id", roles: StaffRole.admins) { request, context in
            // Unconfirmed, the answer is 409 confirmation_required naming what the deletion would touch.
            try await db.staffJSON(request, context,
                Q.deletePatronType(try context.id("id"), what: "patron_type", confirmed: try request.query("confirm") == "true"), notFound: "patron type")
        }
        endpoints.on(.get, "postal-codes", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.postalCodes(postalCode: try request.query("postalCode"), country: try request.query("country")))
        }
        endpoints.on(.post, "postal-codes", roles: [.consortiumAdmin]) { request, context in
            let body = try await request.decodeJSON(NewPostalCode.self, context: context)
            return try await db.staffJSON(request, context, Q.createPostalCode(body.postalCode, city: body.city, state: body.state,
                county: body.county, country: body.country), status: .created)
        }
        endpoints.on(.delete, "postal-codes/:id", roles: [.consortiumAdmin]) { request, context in
            try await db.staffJSON(request, context, Q.deletePostalCode(try context.id("id")), notFound: "postal code")
        }
        endpoints.on(.get, "patrons", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.patrons(barcode: try request.query("barcode"), name: try request.query("name")))
        }
        endpoints.on(.post, "patrons", roles: StaffRole.circulation) { request, context in
            let body = try await request.decodeJSON(PatronInput.self, context: context)
            return try await db.staffJSON(request, context, Q.savePatron(nil, try body.json()), status: .created)
        }
        endpoints.on(.get, "patrons/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.patron(try context.id("id")), notFound: "patron")
        }
        endpoints.on(.patch, "patrons/:id", roles: StaffRole.circulation) { request, context in
            let body = try await request.decodeJSON(PatronInput.self, context: context)
            return try await db.staffJSON(request, context, Q.savePatron(try context.id("id"), try body.json()), notFound: "patron")
        }
        endpoints.on(.delete, "patrons/:id", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, Q.deletePatron(try context.id("id")), notFound: "patron")
        }
        endpoints.on(.get, "circulation/patrons", roles: StaffRole.circulation) { request, context in
            guard let barcode = try request.query("barcode") else {
                throw Problem(.badRequest, code: "invalid_query", detail: "barcode is required.",
                    errors: [.init(field: "barcode", code: "required", message: "Give the patron's barcode.")])
            }
            return try await db.staffJSON(request, context, Q.circulationPatron(barcode: barcode), notFound: "patron")
        }
    }
}
