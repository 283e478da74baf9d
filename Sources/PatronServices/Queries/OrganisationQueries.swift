import Postgres

/// Libraries, branches and circulation groups: the statements behind `/staff/v1/libraries`,
/// `/branches` and `/circulation-groups`. Each returns one JSON value (null: not found).
public enum OrganisationQueries {
    public static let libraries: PostgresQuery =
        "select coalesce(jsonb_agg(ps.api(to_jsonb(l)) order by l.institution_id), '[]') from ps.library l"

    public static func library(_ id: Int64) -> PostgresQuery {
        "select ps.api(to_jsonb(l)) from ps.library l where l.institution_id = \(id)"
    }

    public static func createLibrary(code: String, name: String, currency: String, timeZone: String) -> PostgresQuery {
        "select ps.create_library(\(code), \(name), \(currency), \(timeZone))"
    }

    public static func updateLibrary(_ id: Int64, name: String?, currency: String?, timeZone: String?, replyToEmail: String?) -> PostgresQuery {
        "select ps.update_library(\(id), \(name), \(currency), \(timeZone), \(replyToEmail))"
    }

    public static func deleteLibrary(_ id: Int64) -> PostgresQuery { "select ps.delete_library(\(id))" }

    public static func branches(institution: Int64?) -> PostgresQuery {
        """
        select coalesce(jsonb_agg(ps.api(to_jsonb(b)) order by b.branch_id), '[]') from ps.branch b
        where \(institution)::bigint is null or b.institution_id = \(institution)
        """
    }

    public static func branch(_ id: Int64) -> PostgresQuery {
        "select ps.api(to_jsonb(b)) from ps.branch b where b.branch_id = \(id)"
    }

    public static func createBranch(institution: Int64, code: String, name: String, timeZone: String, staffEmail: String?) -> PostgresQuery {
        "select ps.create_branch(\(institution), \(code), \(name), \(timeZone), \(staffEmail))"
    }

    public static func updateBranch(_ id: Int64, name: String?, timeZone: String?, staffEmail: String?) -> PostgresQuery {
        "select ps.update_branch(\(id), \(name), \(timeZone), \(staffEmail))"
    }

    public static func moveBranch(_ id: Int64, to institution: Int64) -> PostgresQuery { "select ps.move_branch(\(id), \(institution))" }

    public static func deleteBranch(_ id: Int64) -> PostgresQuery { "select ps.delete_branch(\(id))" }

    public static let circulationGroups: PostgresQuery =
        "select coalesce(jsonb_agg(ps.circulation_group_api(g.group_id) order by g.group_id), '[]') from ps.circulation_group g"

    public static func createCirculationGroup(name: String) -> PostgresQuery { "select ps.create_circulation_group(\(name))" }

    public static func deleteCirculationGroup(_ id: Int64) -> PostgresQuery { "select ps.delete_circulation_group(\(id))" }

    public static func addMember(group: Int64, institution: Int64) -> PostgresQuery {
        "select ps.add_circulation_group_member(\(group), \(institution))"
    }

    public static func removeMember(group: Int64, institution: Int64) -> PostgresQuery {
        "select ps.remove_circulation_group_member(\(group), \(institution))"
    }
}
