-- The eligibility check is a hot path. PostgreSQL 15 plans a non-inlined SQL-language function again
-- for every query that calls it (security definer functions and aggregating ones are never inlined),
-- while PL/pgSQL keeps its plans for the session. The older helpers the check and the API call on
-- every request are therefore PL/pgSQL now; what they return is unchanged.
create or replace function ps.shares_circulation_group(p_a bigint, p_b bigint) returns boolean
    language plpgsql stable security definer set search_path = ps, pg_temp
    as $$
    begin
        return p_a = p_b or exists (
            select 1 from circulation_group_member x join circulation_group_member y using (group_id)
            where x.institution_id = p_a and y.institution_id = p_b);
    end $$;
comment on function ps.shares_circulation_group(bigint, bigint) is 'True when two institutions are the same or share at least one circulation group.';

-- Whether the caller's desk circulates to patrons of an institution: its own, a circulation group
-- partner's, or any for a consortium administrator.
create or replace function ps.caller_shares_circulation(p_institution_id bigint) returns boolean
    language sql stable
    as $$ select ps.is_consortium_admin() or ps.shares_circulation_group(ps.current_institution_id(), p_institution_id) $$;
comment on function ps.caller_shares_circulation(bigint) is
    'True when the caller''s institution is the given one or shares a circulation group with it, or the caller is a consortium administrator.';

create or replace function ps.circulation_group_api(p_group_id bigint) returns jsonb
    language sql stable
    as $$
        select jsonb_build_object('groupId', g.group_id, 'name', g.name,
            'institutionIds', coalesce((select jsonb_agg(m.institution_id order by m.institution_id)
                from ps.circulation_group_member m where m.group_id = g.group_id), '[]'))
        from ps.circulation_group g where g.group_id = p_group_id
    $$;
comment on function ps.circulation_group_api(bigint) is 'A circulation group as the API shows it: id, name and the member institutions the caller can see.';

create or replace function ps.create_circulation_group(p_name text) returns jsonb
    language sql volatile
    as $$
        insert into ps.circulation_group (name) values (p_name)
        returning jsonb_build_object('groupId', group_id, 'name', name, 'institutionIds', '[]'::jsonb)
    $$;
comment on function ps.create_circulation_group(text) is 'Adds an empty circulation group (consortium admins).';

create or replace function ps.delete_circulation_group(p_group_id bigint) returns jsonb
    language sql volatile
    as $$
        delete from ps.circulation_group where group_id = p_group_id
        returning jsonb_build_object('groupId', group_id, 'deleted', true)
    $$;
comment on function ps.delete_circulation_group(bigint) is 'Deletes a circulation group and its memberships (consortium admins); null when there is none.';

create or replace function ps.add_circulation_group_member(p_group_id bigint, p_institution_id bigint) returns jsonb
    language sql volatile
    as $$
        with added as (
            insert into ps.circulation_group_member (group_id, institution_id)
            select g.group_id, l.institution_id from ps.circulation_group g, ps.library l
            where g.group_id = p_group_id and l.institution_id = p_institution_id
            on conflict do nothing returning 1)
        select jsonb_build_object('groupId', g.group_id, 'institutionId', l.institution_id)
        from ps.circulation_group g, ps.library l where g.group_id = p_group_id and l.institution_id = p_institution_id
    $$;
comment on function ps.add_circulation_group_member(bigint, bigint) is
    'Puts an institution in a circulation group (idempotent); null when either does not exist.';

create or replace function ps.remove_circulation_group_member(p_group_id bigint, p_institution_id bigint) returns jsonb
    language sql volatile
    as $$
        delete from ps.circulation_group_member where group_id = p_group_id and institution_id = p_institution_id
        returning jsonb_build_object('groupId', group_id, 'institutionId', institution_id, 'removed', true)
    $$;
comment on function ps.remove_circulation_group_member(bigint, bigint) is 'Takes an institution out of a circulation group; null when it was not in it.';
