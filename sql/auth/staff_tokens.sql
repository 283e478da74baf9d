-- Issues a staff token. The secret is returned once and only its SHA-256 is stored. Callable by the
-- owner (CLI) and through the API by admins: a library admin only for its own institution and never
-- a consortium-wide token.
create or replace function ps.create_staff_token(p_role text, p_institution_id bigint, p_label text, p_expires_at timestamptz, p_created_by text)
    returns table (token_id bigint, token text, expires_at timestamptz)
    language plpgsql volatile security definer set search_path = ps, public, pg_temp
    as $$
    declare
        v_secret text := 'pst_' || encode(gen_random_bytes(32), 'hex');
        v_id bigint;
        v_expires timestamptz;
    begin
        -- current_user is always the owner inside this function: the CLI is recognised by session_user.
        if session_user <> 'patron_owner' and not (
            ps.is_consortium_admin()
            or (ps.current_staff_role() = 'library_admin' and p_institution_id = ps.current_institution_id() and p_role <> 'consortium_admin')) then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'You may not issue this token.';
        end if;
        if p_role not in ('consortium_admin', 'library_admin', 'circulation_supervisor', 'circulation_staff', 'report_reader') then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'Unknown role.', hint = 'role:unknown_role';
        end if;
        if (p_role = 'consortium_admin') <> (p_institution_id is null) then
            raise exception using errcode = 'PS422', message = 'validation_failed',
                detail = 'Consortium admin tokens have no institution; every other role needs one.', hint = 'institutionId:invalid';
        end if;
        if p_institution_id is not null and not exists (select 1 from library l where l.institution_id = p_institution_id) then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'No such institution.', hint = 'institutionId:not_found';
        end if;
        if p_expires_at is not null and p_expires_at <= now() then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'A token must expire in the future.',
                hint = 'expiresAt:in_past';
        end if;
        -- Without an expiry, the configured lifetime applies (auth_setting staff_token_lifetime_days; 0: none).
        insert into staff_token (institution_id, role, label, token_hash, expires_at, created_by)
        values (p_institution_id, p_role, coalesce(p_label, ''), ps.sha256(v_secret),
            coalesce(p_expires_at, (select now() + make_interval(days => a.value) from auth_setting a
                                    where a.name = 'staff_token_lifetime_days' and a.value > 0)),
            p_created_by)
        returning staff_token.token_id, staff_token.expires_at into v_id, v_expires;
        return query select v_id, v_secret, v_expires;
    end $$;
comment on function ps.create_staff_token(text, bigint, text, timestamptz, text) is 'Issues a staff token (returned once; stored as SHA-256).';

create or replace function ps.staff_tokens()
    returns table (token_id bigint, institution_id bigint, role text, label text, created_at timestamptz, created_by text,
                   expires_at timestamptz, revoked_at timestamptz, last_used_at timestamptz)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select t.token_id, t.institution_id, t.role, t.label, t.created_at, t.created_by, t.expires_at, t.revoked_at, t.last_used_at
        from staff_token t
        where ps.administers_institution(t.institution_id)
        order by t.token_id
    $$;
comment on function ps.staff_tokens() is 'Staff tokens visible to the caller (never the secrets).';

create or replace function ps.revoke_staff_token(p_token_id bigint) returns boolean
    language sql volatile security definer set search_path = ps, pg_temp
    as $$
        update staff_token t set revoked_at = coalesce(t.revoked_at, now())
        where t.token_id = p_token_id
          and ps.administers_institution(t.institution_id)
        returning true
    $$;
comment on function ps.revoke_staff_token(bigint) is 'Revokes a staff token; false (no row) when it does not exist or is not the caller''s to revoke.';
revoke execute on function ps.create_staff_token(text, bigint, text, timestamptz, text), ps.revoke_staff_token(bigint),
    ps.staff_tokens() from public, patron_report;
