import Foundation
import Hummingbird
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

    static let patronJSON = "ps.patron_api(p.patron_id)"

    func register(_ endpoints: Endpoints) {
        endpoints.on(.get, "patron-types", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, """
                select coalesce(jsonb_agg(ps.api(to_jsonb(t)) order by t.patron_type_id), '[]') from ps.patron_type t
                where t.deleted_at is null or \(request.query("includeDeleted") == "true")
                """)
        }
        endpoints.on(.post, "patron-types", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(NewPatronType.self, context: context)
            return try await db.staffJSON(request, context, """
                insert into ps.patron_type (institution_id, code, description, reply_to_email)
                values (coalesce(\(body.institutionId), ps.current_institution_id()), \(body.code), coalesce(\(body.description), ''),
                        \(body.replyToEmail))
                returning ps.api(to_jsonb(patron_type.*))
                """, status: .created)
        }
        endpoints.on(.patch, "patron-types/:id", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(PatronTypeChanges.self, context: context)
            return try await db.staffJSON(request, context, """
                update ps.patron_type set description = coalesce(\(body.description), description),
                    reply_to_email = coalesce(\(body.replyToEmail), reply_to_email)
                where patron_type_id = \(try context.id("id")) returning ps.api(to_jsonb(patron_type.*))
                """, notFound: "patron type")
        }
        endpoints.on(.get, "patrons/:id/contact-options", roles: StaffRole.circulation) { request, context in
            try await db.staffJSON(request, context, "select ps.contact_options(\(try context.id("id")))", notFound: "patron")
        }
        endpoints.on(.get, "patron-types/:id/impact", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, "select ps.patron_type_impact(\(try context.id("id")))", notFound: "patron type")
        }
        endpoints.on(.delete, "patron-types/:id", roles: StaffRole.admins) { request, context in
            // Unconfirmed, the answer is 409 confirmation_required naming what the deletion would touch.
            try await db.staffJSON(request, context, """
                select ps.delete_patron_type(\(try context.id("id")), 'patron_type', \(request.query("confirm") == "true"))
                """, notFound: "patron type")
        }
        endpoints.on(.get, "postal-codes", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, """
                select coalesce(jsonb_agg(ps.api(to_jsonb(pc)) order by pc.country, pc.postal_code), '[]') from (
                    select * from ps.postal_code
                    where (\(request.query("postalCode"))::text is null or upper(postal_code) = upper(\(request.query("postalCode"))))
                      and (\(request.query("country"))::text is null or country = \(request.query("country")))
                    order by country, postal_code limit 500) pc
                """)
        }
        endpoints.on(.post, "postal-codes", roles: [.consortiumAdmin]) { request, context in
            let body = try await request.decodeJSON(NewPostalCode.self, context: context)
            return try await db.staffJSON(request, context, """
                insert into ps.postal_code (postal_code, city, state, county, country)
                values (\(body.postalCode), \(body.city), coalesce(\(body.state), ''), coalesce(\(body.county), ''), coalesce(\(body.country), 'US'))
                returning ps.api(to_jsonb(postal_code.*))
                """, status: .created)
        }
        endpoints.on(.get, "patrons", roles: StaffRole.readers) { request, context in
            let barcode = request.query("barcode")
            let name = request.query("name")
            return try await db.staffJSON(request, context, """
                select coalesce(jsonb_agg(\(unescaped: Self.patronJSON) order by p.last_name, p.first_name, p.patron_id), '[]') from (
                    select * from ps.patron where deleted_at is null
                      and (\(barcode)::text is null or lower(barcode) = lower(\(barcode)))
                      and (\(name)::text is null or lower(last_name) like lower(\(name)) || '%')
                    order by last_name, first_name, patron_id limit 200) p
                """)
        }
        endpoints.on(.post, "patrons", roles: StaffRole.circulation) { request, context in
            let body = try await request.decodeJSON(PatronInput.self, context: context)
            return try await db.staffJSON(request, context, """
                select ps.patron_api(ps.save_patron(null, \(try body.json())::jsonb))
                """, status: .created)
        }
        endpoints.on(.get, "patrons/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, """
                select ps.patron_api(p.patron_id) from ps.patron p where p.patron_id = \(try context.id("id")) and p.deleted_at is null
                """, notFound: "patron")
        }
        endpoints.on(.patch, "patrons/:id", roles: StaffRole.circulation) { request, context in
            let body = try await request.decodeJSON(PatronInput.self, context: context)
            return try await db.staffJSON(request, context, """
                select ps.patron_api(ps.save_patron(\(try context.id("id")), \(try body.json())::jsonb))
                """, notFound: "patron")
        }
        endpoints.on(.delete, "patrons/:id", roles: StaffRole.admins) { request, context in
            // Patrons are never erased: their loans and bills stay (a deleted patron's fine shows as N/A in reports).
            try await db.staffJSON(request, context, """
                update ps.patron set deleted_at = now(), pin_hash = null, updated_at = now()
                where patron_id = \(try context.id("id")) and deleted_at is null
                returning jsonb_build_object('patronId', patron_id, 'deletedAt', deleted_at)
                """, notFound: "patron")
        }
        endpoints.on(.delete, "postal-codes/:id", roles: [.consortiumAdmin]) { request, context in
            try await db.staffJSON(request, context, """
                delete from ps.postal_code where postal_code_id = \(try context.id("id"))
                returning jsonb_build_object('postalCodeId', postal_code_id, 'deleted', true)
                """, notFound: "postal code")
        }
        endpoints.on(.get, "circulation/patrons", roles: StaffRole.circulation) { request, context in
            guard let barcode = request.query("barcode") else {
                throw Problem(.badRequest, code: "invalid_query", detail: "barcode is required.",
                    errors: [.init(field: "barcode", code: "required", message: "Give the patron's barcode.")])
            }
            return try await db.staffJSON(request, context, """
                select ps.api(to_jsonb(c)) from ps.circulation_patron c where lower(c.barcode) = lower(\(barcode))
                """, notFound: "patron")
        }
    }
}
