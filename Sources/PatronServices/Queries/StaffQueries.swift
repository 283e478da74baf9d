import Postgres

/// Statements of the hot paths, shared by the routes and by `patron-services bench eligibility`, so
/// the benchmark's pgbench script runs exactly the SQL the service sends.
public enum StaffQueries {
    /// Authenticates a staff token for a route open to `roles`, setting the caller's institution and role.
    public static func authenticate(token: String, roles: AllowedStaffRoles) -> PostgresQuery {
        "select * from ps.authenticate_staff(\(token), \(roles.arrayText)::text[])"
    }

    /// The explained eligibility of a patron at a branch for checkout or renewal, as one JSON object.
    public static func eligibility(patron: Int64, branch: Int64, action: String) -> PostgresQuery {
        """
        select jsonb_build_object('patronId', \(patron)::bigint, 'branchId', \(branch)::bigint, 'action', \(action)::text,
            'allowed', not coalesce(bool_or(e.blocks), false),
            'conditions', coalesce(jsonb_agg(jsonb_build_object('condition', e.condition, 'limitValue', e.limit_value,
                'currentValue', e.current_value, 'exceeded', e.exceeded, 'blocks', e.blocks, 'clearance', e.clearance,
                'policyInstitutionId', e.policy_institution_id, 'policyLastModified', e.policy_last_modified, 'detail', e.detail,
                'currency', case when e.condition in ('max_loan_value', 'max_outstanding_billed', 'max_amount_waived')
                                 then ps.institution_currency(e.policy_institution_id) end)
                order by e.condition), '[]'))
        from ps.eligibility(\(patron), \(branch), \(action)) e
        """
    }

    /// The roles the eligibility route admits.
    public static let eligibilityRoles = StaffRole.circulation
}
