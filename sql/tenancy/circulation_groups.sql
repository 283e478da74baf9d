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
