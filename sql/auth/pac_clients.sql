-- The PAC client a key belongs to, if it is not revoked; PS401 invalid_client_key otherwise. Every PAC
-- request (sign-in included) starts here. A request from a browser page on an origin outside the
-- service's global list carries it in ps.origin: the key must list that origin (PS403 origin_not_allowed).
create or replace function ps.live_pac_client(p_client_key text) returns ps.pac_client
    language plpgsql stable security definer set search_path = ps, public, pg_temp
    as $$
    declare
        -- Hashed once, not for each key a sequential scan of the (small) table reads.
        v_hash constant bytea := ps.sha256(p_client_key);
        v_client pac_client;
    begin
        select * into v_client from pac_client c where c.key_hash = v_hash and c.revoked_at is null;
        if not found then
            raise exception using errcode = 'PS401', message = 'invalid_client_key', detail = 'A valid PAC client key is required.';
        end if;
        if ps.request_setting('ps.origin') is not null and not ps.request_setting('ps.origin') = any(v_client.allowed_origins) then
            raise exception using errcode = 'PS403', message = 'origin_not_allowed',
                detail = 'This PAC client key may not be used from pages on this origin.';
        end if;
        return v_client;
    end $$;
comment on function ps.live_pac_client(text) is 'The unrevoked PAC client holding a key (matched by its SHA-256), or PS401 invalid_client_key; PS403 origin_not_allowed when the request''s browser origin (ps.origin) is not among the key''s allowed origins.';
revoke execute on function ps.live_pac_client(text) from public, patron_app, patron_report;

-- Browser origins as a key may list them: scheme://host[:port], no path, no wildcard, at most 20.
create or replace function ps.pac_origin_errors(p_origins jsonb) returns text[]
    language sql immutable
    as $$
        select case
            when p_origins is null or jsonb_typeof(p_origins) = 'null' then '{}'::text[]
            when jsonb_typeof(p_origins) <> 'array' or jsonb_array_length(p_origins) > 20 then array['allowedOrigins:invalid']
            when exists (select 1 from jsonb_array_elements(p_origins) o
                         where jsonb_typeof(o) <> 'string' or o #>> '{}' !~ '^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$')
                then array['allowedOrigins:invalid_origin']
            else '{}'::text[] end
    $$;
comment on function ps.pac_origin_errors(jsonb) is
    'Field errors of a PAC client''s allowedOrigins: a JSON array of at most 20 origins written scheme://host[:port] (http or https, no path, no wildcard).';

create or replace function ps.create_pac_client(p_branch_id bigint, p_label text, p_created_by text, p_allowed_origins jsonb)
    returns table (client_id bigint, client_key text)
    language plpgsql volatile security definer set search_path = ps, public, pg_temp
    as $$
    declare
        v_secret text := 'pac_' || encode(gen_random_bytes(32), 'hex');
        v_institution bigint;
        v_id bigint;
    begin
        select b.institution_id into v_institution from branch b where b.branch_id = p_branch_id;
        if v_institution is null or not ps.administers_institution(v_institution) then
            raise exception using errcode = 'PS404', message = 'branch_not_found', detail = 'No such branch.';
        end if;
        perform ps.raise_field_errors(ps.pac_origin_errors(p_allowed_origins), 'The PAC client has invalid fields.');
        insert into pac_client (institution_id, branch_id, label, key_hash, created_by, allowed_origins)
        values (v_institution, p_branch_id, coalesce(p_label, ''), ps.sha256(v_secret), p_created_by,
                coalesce(array(select jsonb_array_elements_text(p_allowed_origins)), '{}'))
        returning pac_client.client_id into v_id;
        return query select v_id, v_secret;
    end $$;
comment on function ps.create_pac_client(bigint, text, text, jsonb) is
    'Issues a PAC client key bound to a connection branch (returned once; stored as SHA-256), with the browser origins that may use it.';

-- Replaces the browser origins of a PAC client; answers the client as ps.pac_clients() shows it, or null
-- when the caller may not see it.
create or replace function ps.set_pac_client_origins(p_client_id bigint, p_allowed_origins jsonb) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_client pac_client;
    begin
        perform ps.raise_field_errors(ps.pac_origin_errors(p_allowed_origins)
            || case when p_allowed_origins is null then array['allowedOrigins:required'] else '{}'::text[] end, 'The PAC client has invalid fields.');
        update pac_client c set allowed_origins = array(select jsonb_array_elements_text(p_allowed_origins))
        where c.client_id = p_client_id
          and ps.administers_institution(c.institution_id)
        returning * into v_client;
        return case when v_client.client_id is not null then
            ps.api(to_jsonb(v_client) - 'key_hash' - 'created_by') end;
    end $$;
comment on function ps.set_pac_client_origins(bigint, jsonb) is
    'Replaces the browser origins allowed to use a PAC client key; answers the client (never its key), or null when the caller may not see it.';

-- Preflights carry no key: an origin outside the global list is let through when some live key lists
-- it, and the actual request is then checked against its own key (ps.live_pac_client).
create or replace function ps.pac_origin_known(p_origin text) returns boolean
    language sql stable security definer set search_path = ps, pg_temp
    as $$ select exists (select 1 from pac_client c where c.revoked_at is null and p_origin = any(c.allowed_origins)) $$;
comment on function ps.pac_origin_known(text) is 'True when some live PAC client key lists this browser origin (CORS preflights carry no key).';
revoke execute on function ps.pac_origin_known(text) from public, patron_report;

create or replace function ps.pac_clients()
    returns table (client_id bigint, institution_id bigint, branch_id bigint, label text, allowed_origins text[], created_at timestamptz,
                   revoked_at timestamptz)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select c.client_id, c.institution_id, c.branch_id, c.label, c.allowed_origins, c.created_at, c.revoked_at from pac_client c
        where ps.administers_institution(c.institution_id)
        order by c.client_id
    $$;
comment on function ps.pac_clients() is 'PAC client keys visible to the caller (never the secrets).';

create or replace function ps.revoke_pac_client(p_client_id bigint) returns boolean
    language sql volatile security definer set search_path = ps, pg_temp
    as $$
        update pac_client c set revoked_at = coalesce(c.revoked_at, now())
        where c.client_id = p_client_id
          and ps.administers_institution(c.institution_id)
        returning true
    $$;
comment on function ps.revoke_pac_client(bigint) is 'Revokes a PAC client key.';
revoke execute on function ps.create_pac_client(bigint, text, text, jsonb), ps.revoke_pac_client(bigint), ps.pac_clients(),
    ps.set_pac_client_origins(bigint, jsonb)
    from public, patron_report;
