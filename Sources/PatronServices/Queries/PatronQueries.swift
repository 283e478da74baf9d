import Postgres

/// Patron types, postal codes and patrons: the statements behind `/staff/v1/patron-types`,
/// `/postal-codes`, `/patrons` and `/circulation/patrons`.
public enum PatronQueries {
    public static func patronTypes(includeDeleted: Bool) -> PostgresQuery {
        """
        select coalesce(jsonb_agg(ps.api(to_jsonb(t)) order by t.patron_type_id), '[]') from ps.patron_type t
        where t.deleted_at is null or \(includeDeleted)
        """
    }

    public static func createPatronType(institution: Int64?, code: String, description: String?, replyToEmail: String?) -> PostgresQuery {
        "select ps.create_patron_type(\(institution), \(code), \(description), \(replyToEmail))"
    }

    public static func updatePatronType(_ id: Int64, description: String?, replyToEmail: String?) -> PostgresQuery {
        "select ps.update_patron_type(\(id), \(description), \(replyToEmail))"
    }

    public static func patronTypeImpact(_ id: Int64) -> PostgresQuery { "select ps.patron_type_impact(\(id))" }

    /// Deletes a patron type (soft) or only its policy; unconfirmed, 409 `confirmation_required` with the impact.
    public static func deletePatronType(_ id: Int64, what: String, confirmed: Bool) -> PostgresQuery {
        "select ps.delete_patron_type(\(id), \(what), \(confirmed))"
    }

    public static func postalCodes(postalCode: String?, country: String?) -> PostgresQuery {
        """
        select coalesce(jsonb_agg(ps.api(to_jsonb(pc)) order by pc.country, pc.postal_code), '[]') from (
            select * from ps.postal_code
            where (\(postalCode)::text is null or upper(postal_code) = upper(\(postalCode)))
              and (\(country)::text is null or country = \(country))
            order by country, postal_code limit 500) pc
        """
    }

    public static func createPostalCode(_ postalCode: String, city: String, state: String?, county: String?, country: String?) -> PostgresQuery {
        "select ps.create_postal_code(\(postalCode), \(city), \(state), \(county), \(country))"
    }

    public static func deletePostalCode(_ id: Int64) -> PostgresQuery { "select ps.delete_postal_code(\(id))" }

    /// Live patrons by barcode or by the start of the last name, at most 200, by name. One statement for
    /// each filter given, so that each search reaches its index: written once as "barcode is null or …",
    /// a filter is a sub-plan run against every patron row (120 to 200 ms a search at a million patrons).
    public static func patrons(barcode: String?, name: String?) -> PostgresQuery {
        let (head, tail) = (patronListHead, " order by last_name, first_name, patron_id limit 200) p")
        switch (barcode, name) {
        case let (barcode?, name?):
            // The barcode names one patron: the name is checked on that row, not looked up as a second set.
            return """
                \(unescaped: head) patron_id in (select ps.patrons_with_barcode(\(barcode)))
                    and starts_with(lower(last_name), lower(\(name)))\(unescaped: tail)
                """
        case let (barcode?, nil): return "\(unescaped: head) patron_id in (select ps.patrons_with_barcode(\(barcode)))\(unescaped: tail)"
        case let (nil, name?): return "\(unescaped: head) patron_id in (select ps.patrons_named(\(name)))\(unescaped: tail)"
        case (nil, nil): return "\(unescaped: head) true\(unescaped: tail)"
        }
    }

    static let patronListHead = """
        select coalesce(jsonb_agg(ps.patron_api(p.patron_id) order by p.last_name, p.first_name, p.patron_id), '[]') from (
            select * from ps.patron where deleted_at is null and
        """

    public static func patron(_ id: Int64) -> PostgresQuery {
        "select ps.patron_api(p.patron_id) from ps.patron p where p.patron_id = \(id) and p.deleted_at is null"
    }

    /// Creates (`id` nil) or updates a patron from snake_case JSON; `ps.save_patron` validates every field.
    public static func savePatron(_ id: Int64?, _ fields: PostgresJSON) -> PostgresQuery {
        "select ps.patron_api(ps.save_patron(\(id), \(fields)::jsonb))"
    }

    public static func deletePatron(_ id: Int64) -> PostgresQuery { "select ps.delete_patron(\(id))" }

    public static func contactOptions(_ id: Int64) -> PostgresQuery { "select ps.contact_options(\(id))" }

    /// A patron of the caller's institution or of one sharing a circulation group with it.
    public static func circulationPatron(barcode: String) -> PostgresQuery {
        "select ps.api(to_jsonb(c)) from ps.circulation_patrons(\(barcode)) c"
    }
}
