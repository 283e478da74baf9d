create or replace function ps.resolve_setting(p_branch_id bigint, p_name text)
    returns table (name text, value jsonb, level text, institution_id bigint, branch_id bigint, updated_at timestamptz)
    language sql stable
    as $$
        with b as (select institution_id, branch_id from ps.branch where branch_id = p_branch_id)
        select d.name,
               coalesce(v.value, d.default_value),
               coalesce(v.level, 'default'),
               v.institution_id, v.branch_id, v.updated_at
        from ps.setting_definition d
        cross join b
        left join lateral (
            select sv.value, sv.level, sv.institution_id, sv.branch_id, sv.updated_at
            from ps.setting_value sv
            where sv.name = d.name
              and (sv.level = 'system'
                   or (sv.level = 'library' and sv.institution_id = b.institution_id and not d.system_only)
                   or (sv.level = 'branch' and sv.branch_id = b.branch_id and not d.system_only))
            order by case sv.level when 'branch' then 1 when 'library' then 2 else 3 end
            limit 1
        ) v on true
        where d.name = p_name or p_name is null
    $$;
comment on function ps.resolve_setting(bigint, text) is
    'The effective value of a setting (or, with p_name null, of every setting) for a branch: the branch''s own value, else its library''s, else the system''s, else the default; with the level and organisation it came from.';
