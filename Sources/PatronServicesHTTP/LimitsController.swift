import Hummingbird
import Postgres

/// The settings behind the patron type policy limits: the Loan Limit Policy (per lending institution
/// and patron type), the Accruing Fines Policy and the overdue suspension rate (per institution).
struct LimitsController {
    let db: Database

    func register(_ endpoints: Endpoints) {
        endpoints.on(.get, "loan-limit-policies", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, """
                select coalesce(jsonb_agg(ps.api(to_jsonb(l)) || jsonb_build_object('patronTypeCode', t.code,
                    'patronTypeInstitutionId', t.institution_id) order by l.institution_id, t.code), '[]')
                from ps.loan_limit_policy l left join ps.circulation_patron_types() t using (patron_type_id)
                """)
        }
        endpoints.on(.put, "loan-limit-policies/:id", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSONObject(context: context)
            return try await db.staffJSON(request, context, """
                select ps.save_loan_limit_policy(\(try request.queryID("institutionId")), \(try context.id("id")), \(body)::jsonb)
                """)
        }
        for (path, table, defaults, save) in Self.institutionPolicies {
            endpoints.on(.get, path, roles: StaffRole.readers) { request, context in
                try await db.staffJSON(request, context, """
                    select coalesce((select ps.api(to_jsonb(f)) || '{"configured": true}' from \(unescaped: table) f where f.institution_id = l.institution_id),
                                    jsonb_build_object('institutionId', l.institution_id, 'configured', false) || \(unescaped: defaults))
                    from ps.library l where l.institution_id = coalesce(\(try request.queryID("institutionId")), ps.current_institution_id())
                    """, notFound: "library")
            }
            endpoints.on(.put, path, roles: StaffRole.admins) { request, context in
                let body = try await request.decodeJSONObject(context: context)
                return try await db.staffJSON(request, context, """
                    select \(unescaped: save)(\(try request.queryID("institutionId")), \(body)::jsonb)
                    """)
            }
        }
    }

    /// Path, table, the values in force when nothing is configured, and the save function.
    static let institutionPolicies = [
        ("accruing-fines-policy", "ps.accruing_fines_policy",
         #"'{"dailyFineMinor": 0, "maxFineMinor": null, "countsTowardBilledLimit": false}'::jsonb"#, "ps.save_accruing_fines_policy"),
        ("overdue-suspension-policy", "ps.overdue_suspension_policy", #"'{"minutesPerDayOverdue": 0}'::jsonb"#,
         "ps.save_overdue_suspension_policy"),
    ]
}
