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

-- Recording a token's last use once a minute made every concurrent request with that token queue on
-- the token row's lock at each minute boundary (tens of requests serialised behind one another). The
-- first request to get the lock records it; the others skip the row instead of waiting.
create or replace function ps.authenticate_staff(p_token text, p_allowed_roles text[])
    returns table (token_id bigint, institution_id bigint, role text)
    language plpgsql volatile security definer set search_path = ps, public, pg_temp
    as $$
    declare
        v_token staff_token;
    begin
        select * into v_token from staff_token t
        where t.token_hash = ps.sha256(p_token) and t.revoked_at is null and (t.expires_at is null or t.expires_at > now());
        if not found then
            raise exception using errcode = 'PS401', message = 'unauthenticated', detail = 'A valid staff token is required.';
        end if;
        if p_allowed_roles is not null and not (v_token.role = any (p_allowed_roles)) then
            raise exception using errcode = 'PS403', message = 'role_not_allowed',
                detail = format('The %s role may not do this.', v_token.role);
        end if;
        perform set_config('ps.institution_id', coalesce(v_token.institution_id::text, ''), true);
        perform set_config('ps.role', v_token.role, true);
        perform set_config('ps.actor', 'staff:' || v_token.token_id, true);
        if v_token.last_used_at is null or v_token.last_used_at < now() - interval '1 minute' then
            perform 1 from staff_token t where t.token_id = v_token.token_id for update skip locked;
            if found then
                update staff_token t set last_used_at = now() where t.token_id = v_token.token_id;
            end if;
        end if;
        return query select v_token.token_id, v_token.institution_id, v_token.role;
    end $$;
