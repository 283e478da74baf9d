-- The PAC client a key belongs to, if it is not revoked; PS401 invalid_client_key otherwise. Every PAC
-- request (sign-in included) starts here.
create or replace function ps.live_pac_client(p_client_key text) returns ps.pac_client
    language plpgsql stable security definer set search_path = ps, public, pg_temp
    as $$
    declare
        v_client pac_client;
    begin
        select * into v_client from pac_client c where c.key_hash = ps.sha256(p_client_key) and c.revoked_at is null;
        if not found then
            raise exception using errcode = 'PS401', message = 'invalid_client_key', detail = 'A valid PAC client key is required.';
        end if;
        return v_client;
    end $$;
comment on function ps.live_pac_client(text) is 'The unrevoked PAC client holding a key (matched by its SHA-256), or PS401 invalid_client_key.';
revoke execute on function ps.live_pac_client(text) from public, patron_app, patron_report;

create or replace function ps.create_pac_client(p_branch_id bigint, p_label text, p_created_by text)
    returns table (client_id bigint, client_key text)
    language plpgsql volatile security definer set search_path = ps, public, pg_temp
    as $$
    declare
        v_secret text := 'pac_' || encode(gen_random_bytes(32), 'hex');
        v_institution bigint;
        v_id bigint;
    begin
        select b.institution_id into v_institution from branch b where b.branch_id = p_branch_id;
        if v_institution is null or not (session_user = 'patron_owner' or ps.is_consortium_admin()
            or (ps.current_staff_role() = 'library_admin' and v_institution = ps.current_institution_id())) then
            raise exception using errcode = 'PS404', message = 'branch_not_found', detail = 'No such branch.';
        end if;
        insert into pac_client (institution_id, branch_id, label, key_hash, created_by)
        values (v_institution, p_branch_id, coalesce(p_label, ''), ps.sha256(v_secret), p_created_by)
        returning pac_client.client_id into v_id;
        return query select v_id, v_secret;
    end $$;
comment on function ps.create_pac_client(bigint, text, text) is 'Issues a PAC client key bound to a connection branch (returned once; stored as SHA-256).';

create or replace function ps.pac_clients()
    returns table (client_id bigint, institution_id bigint, branch_id bigint, label text, created_at timestamptz, revoked_at timestamptz)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select c.client_id, c.institution_id, c.branch_id, c.label, c.created_at, c.revoked_at from pac_client c
        where session_user = 'patron_owner' or ps.is_consortium_admin()
           or (ps.current_staff_role() = 'library_admin' and c.institution_id = ps.current_institution_id())
        order by c.client_id
    $$;
comment on function ps.pac_clients() is 'PAC client keys visible to the caller (never the secrets).';

create or replace function ps.revoke_pac_client(p_client_id bigint) returns boolean
    language sql volatile security definer set search_path = ps, pg_temp
    as $$
        update pac_client c set revoked_at = coalesce(c.revoked_at, now())
        where c.client_id = p_client_id
          and (session_user = 'patron_owner' or ps.is_consortium_admin()
               or (ps.current_staff_role() = 'library_admin' and c.institution_id = ps.current_institution_id()))
        returning true
    $$;
comment on function ps.revoke_pac_client(bigint) is 'Revokes a PAC client key.';
revoke execute on function ps.create_pac_client(bigint, text, text), ps.revoke_pac_client(bigint), ps.pac_clients()
    from public, patron_report;
