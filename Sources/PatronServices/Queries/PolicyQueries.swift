import Postgres

/// Patron Type Policies and the settings behind their limits: the Loan Limit Policy, the Accruing Fines
/// Policy and the overdue suspension rate.
public enum PolicyQueries {
    /// The Patron Type Policies screen: every policy with its WMS status.
    public static let policies: PostgresQuery =
        "select coalesce(jsonb_agg(ps.api(to_jsonb(s)) order by s.policy_name), '[]') from ps.patron_type_policy_status s"

    public static func policy(patronType: Int64) -> PostgresQuery {
        "select ps.patron_type_policy_api(pp) from ps.patron_type_policy pp where pp.patron_type_id = \(patronType)"
    }

    public static func savePolicy(patronType: Int64, _ fields: PostgresJSON) -> PostgresQuery {
        "select ps.save_patron_type_policy(\(patronType), \(fields)::jsonb)"
    }

    public static func history(patronType: Int64) -> PostgresQuery {
        """
        select case when exists (select 1 from ps.patron_type where patron_type_id = \(patronType))
            then coalesce((select jsonb_agg(ps.api(to_jsonb(h)) order by h.change_id) from ps.patron_type_policy_change h
                           where h.patron_type_id = \(patronType)), '[]') end
        """
    }

    public static let loanLimitPolicies: PostgresQuery = """
        select coalesce(jsonb_agg(ps.api(to_jsonb(l)) || jsonb_build_object('patronTypeCode', t.code,
            'patronTypeInstitutionId', t.institution_id, 'currency', ps.institution_currency(l.institution_id))
            order by l.institution_id, t.code), '[]')
        from ps.loan_limit_policy l left join ps.circulation_patron_types() t using (patron_type_id)
        """

    public static func saveLoanLimitPolicy(institution: Int64?, patronType: Int64, _ fields: PostgresJSON) -> PostgresQuery {
        "select ps.save_loan_limit_policy(\(institution), \(patronType), \(fields)::jsonb)"
    }

    /// The Accruing Fines Policy of an institution (default: the caller's), or its defaults.
    public static func accruingFinesPolicy(institution: Int64?) -> PostgresQuery { "select ps.accruing_fines_policy_of(\(institution))" }

    public static func saveAccruingFinesPolicy(institution: Int64?, _ fields: PostgresJSON) -> PostgresQuery {
        "select ps.save_accruing_fines_policy(\(institution), \(fields)::jsonb)"
    }

    /// The overdue suspension rate of an institution (default: the caller's), or its default.
    public static func overdueSuspensionPolicy(institution: Int64?) -> PostgresQuery {
        "select ps.overdue_suspension_policy_of(\(institution))"
    }

    public static func saveOverdueSuspensionPolicy(institution: Int64?, _ fields: PostgresJSON) -> PostgresQuery {
        "select ps.save_overdue_suspension_policy(\(institution), \(fields)::jsonb)"
    }
}
