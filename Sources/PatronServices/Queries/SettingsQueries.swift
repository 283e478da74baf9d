import Postgres

/// Settings inherited system → library → branch, and the Patron Access Options built on them.
public enum SettingsQueries {
    /// Every setting's effective value at a branch, with the level it came from.
    public static func branchSettings(_ branch: Int64) -> PostgresQuery {
        """
        select coalesce((select jsonb_agg(jsonb_build_object('name', s.name, 'value', s.value, 'level', s.level,
            'institutionId', s.institution_id, 'branchId', s.branch_id, 'updatedAt', s.updated_at) order by s.name)
            from ps.resolve_setting(b.branch_id, null) s), '[]')
        from ps.branch b where b.branch_id = \(branch)
        """
    }

    /// Sets (or with a nil value clears) one setting at one level; audited by `ps.save_setting`.
    public static func saveSetting(name: String, level: SettingLevel, institution: Int64?, branch: Int64?, value: PostgresJSON?) -> PostgresQuery {
        """
        select jsonb_build_object('name', \(name)::text, 'level', \(level)::text, 'institutionId', \(institution)::bigint,
            'branchId', \(branch)::bigint, 'value', \(value)::jsonb)
        from (select ps.save_setting(\(name), \(level), \(institution), \(branch), \(value)::jsonb)) s
        """
    }

    /// The Patron Access Options of a branch as a PAC renders them.
    public static func branchAccessOptions(_ branch: Int64) -> PostgresQuery {
        "select ps.pac_options(b.branch_id, null) from ps.branch b where b.branch_id = \(branch)"
    }

    /// Saves Patron Access Options at a level, answering the options then in force at the branch (or the
    /// library's first branch; the consortium's first for a consortium administrator's system-level change).
    public static func saveAccessOptions(level: SettingLevel, institution: Int64?, branch: Int64?, options: PostgresJSON) -> PostgresQuery {
        """
        select ps.pac_options(coalesce(\(branch)::bigint, (select min(branch_id) from ps.branch
                where institution_id = coalesce(\(institution)::bigint, ps.current_institution_id())),
                (select min(branch_id) from ps.branch)), null)
            || jsonb_build_object('saved', true)
        from (select ps.save_access_options(\(level), \(institution), \(branch), \(options)::jsonb)) s
        """
    }

    /// Adds (or removes) a patron code to the codes that may request account updates online.
    public static func editUpdatePatronTypes(level: SettingLevel, institution: Int64?, branch: Int64?, code: String, add: Bool) -> PostgresQuery {
        """
        select jsonb_build_object('level', \(level)::text, 'updatePatronTypes',
            ps.edit_update_patron_types(\(level), coalesce(\(institution)::bigint, ps.current_institution_id()), \(branch), \(code), \(add)))
        """
    }
}
