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

create or replace function ps.to_api(p jsonb) returns jsonb
    language plpgsql immutable parallel safe
    as $$
    begin
        return (select coalesce(jsonb_object_agg(regexp_replace(initcap(replace(key, '_', ' ')), ' ', '', 'g'), value), '{}'::jsonb)
                from jsonb_each(p - 'pin_hash' - 'token_hash' - 'key_hash'));
    end $$;

create or replace function ps.api(p jsonb) returns jsonb
    language plpgsql immutable parallel safe
    as $$
    begin
        return (select coalesce(jsonb_object_agg(lower(left(key, 1)) || substr(key, 2), value), '{}'::jsonb)
                from jsonb_each(ps.to_api(p)));
    end $$;

-- The maximum amount waived sums every bill of the patron, whatever its state: the partial index on
-- outstanding bills cannot serve it, so a full index on the patron replaces it.
drop index ps.bill_patron;
create index bill_patron on ps.bill (patron_id);
