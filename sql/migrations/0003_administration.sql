-- Administration: issuing and revoking staff tokens and PAC client keys, saving patrons with field-level
-- validation, moving branches, saving settings with an audit trail.

-- Issues a staff token. The secret is returned once and only its SHA-256 is stored. Callable by the
-- owner (CLI) and through the API by admins: a library admin only for its own institution and never
-- a consortium-wide token.
create function ps.create_staff_token(p_role text, p_institution_id bigint, p_label text, p_expires_at timestamptz, p_created_by text)
    returns table (token_id bigint, token text)
    language plpgsql volatile security definer set search_path = ps, public, pg_temp
    as $$
    declare
        v_secret text := 'pst_' || encode(gen_random_bytes(32), 'hex');
        v_id bigint;
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
        insert into staff_token (institution_id, role, label, token_hash, expires_at, created_by)
        values (p_institution_id, p_role, coalesce(p_label, ''), ps.sha256(v_secret), p_expires_at, p_created_by)
        returning staff_token.token_id into v_id;
        return query select v_id, v_secret;
    end $$;
comment on function ps.create_staff_token(text, bigint, text, timestamptz, text) is 'Issues a staff token (returned once; stored as SHA-256).';

create function ps.staff_tokens()
    returns table (token_id bigint, institution_id bigint, role text, label text, created_at timestamptz, created_by text,
                   expires_at timestamptz, revoked_at timestamptz, last_used_at timestamptz)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select t.token_id, t.institution_id, t.role, t.label, t.created_at, t.created_by, t.expires_at, t.revoked_at, t.last_used_at
        from staff_token t
        where session_user = 'patron_owner'
           or ps.is_consortium_admin()
           or (ps.current_staff_role() = 'library_admin' and t.institution_id = ps.current_institution_id())
        order by t.token_id
    $$;
comment on function ps.staff_tokens() is 'Staff tokens visible to the caller (never the secrets).';

create function ps.revoke_staff_token(p_token_id bigint) returns boolean
    language sql volatile security definer set search_path = ps, pg_temp
    as $$
        update staff_token t set revoked_at = coalesce(t.revoked_at, now())
        where t.token_id = p_token_id
          and (session_user = 'patron_owner' or ps.is_consortium_admin()
               or (ps.current_staff_role() = 'library_admin' and t.institution_id = ps.current_institution_id()))
        returning true
    $$;
comment on function ps.revoke_staff_token(bigint) is 'Revokes a staff token; false (no row) when it does not exist or is not the caller''s to revoke.';

create function ps.create_pac_client(p_branch_id bigint, p_label text, p_created_by text)
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

create function ps.pac_clients()
    returns table (client_id bigint, institution_id bigint, branch_id bigint, label text, created_at timestamptz, revoked_at timestamptz)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select c.client_id, c.institution_id, c.branch_id, c.label, c.created_at, c.revoked_at from pac_client c
        where session_user = 'patron_owner' or ps.is_consortium_admin()
           or (ps.current_staff_role() = 'library_admin' and c.institution_id = ps.current_institution_id())
        order by c.client_id
    $$;
comment on function ps.pac_clients() is 'PAC client keys visible to the caller (never the secrets).';

create function ps.revoke_pac_client(p_client_id bigint) returns boolean
    language sql volatile security definer set search_path = ps, pg_temp
    as $$
        update pac_client c set revoked_at = coalesce(c.revoked_at, now())
        where c.client_id = p_client_id
          and (session_user = 'patron_owner' or ps.is_consortium_admin()
               or (ps.current_staff_role() = 'library_admin' and c.institution_id = ps.current_institution_id()))
        returning true
    $$;
comment on function ps.revoke_pac_client(bigint) is 'Revokes a PAC client key.';

-- Moves a branch to another library: its patrons, blocks and clients follow (keys cascade), and the
-- move is recorded. Refused while the branch's patrons' types do not exist in the target library.
create function ps.move_branch(p_branch_id bigint, p_to_institution_id bigint) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_from bigint;
    begin
        if not ps.is_consortium_admin() then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Only consortium admins move branches.';
        end if;
        select institution_id into v_from from ps.branch where branch_id = p_branch_id for update;
        if v_from is null then
            raise exception using errcode = 'PS404', message = 'branch_not_found', detail = 'No such branch.';
        end if;
        if not exists (select 1 from ps.library where institution_id = p_to_institution_id) then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'No such library.', hint = 'institutionId:not_found';
        end if;
        if v_from = p_to_institution_id then
            return (select ps.api(to_jsonb(b)) from ps.branch b where b.branch_id = p_branch_id);
        end if;
        if exists (select 1 from ps.patron where registered_branch_id = p_branch_id) then
            raise exception using errcode = 'PS409', message = 'branch_has_patrons',
                detail = 'Re-register the branch''s patrons (their patron types belong to the old library) before moving it.';
        end if;
        update ps.branch set institution_id = p_to_institution_id, updated_at = now() where branch_id = p_branch_id;
        update ps.pac_client set institution_id = p_to_institution_id where branch_id = p_branch_id;
        update ps.setting_value set institution_id = p_to_institution_id where branch_id = p_branch_id;
        insert into ps.branch_move (branch_id, from_institution_id, to_institution_id, moved_by)
        values (p_branch_id, v_from, p_to_institution_id, coalesce(nullif(current_setting('ps.actor', true), ''), session_user));
        return (select ps.api(to_jsonb(b)) from ps.branch b where b.branch_id = p_branch_id);
    end $$;
comment on function ps.move_branch(bigint, bigint) is 'Moves a branch (with its PAC clients and settings) to another library, recording the move; returns the branch as the API shows it.';

-- Validates and saves a patron (insert when p_patron_id is null). Field errors are reported together:
-- PS422 validation_failed with hint 'field:code,field:code'.
create function ps.save_patron(p_patron_id bigint, p jsonb) returns bigint
    language plpgsql volatile
    as $$
    declare
        v_errors text[] := '{}';
        v_branch ps.branch;
        v_type_id bigint;
        v_id bigint;
        v_existing ps.patron;
        v_email_pattern constant text := '^[^@\s]+@[^@\s]+\.[^@\s]+$';
    begin
        if p_patron_id is not null then
            select * into v_existing from ps.patron where patron_id = p_patron_id and deleted_at is null for update;
            if not found then
                raise exception using errcode = 'PS404', message = 'patron_not_found', detail = 'No such patron.';
            end if;
            p := to_jsonb(v_existing) - 'pin_hash' || p;
        end if;
        if coalesce(p->>'barcode', '') !~ '^[A-Za-z0-9-]{4,40}$' then v_errors := v_errors || 'barcode:invalid'::text; end if;
        if length(coalesce(p->>'first_name', '')) not between 1 and 100 then v_errors := v_errors || 'firstName:required'::text; end if;
        if length(coalesce(p->>'last_name', '')) not between 1 and 100 then v_errors := v_errors || 'lastName:required'::text; end if;
        select * into v_branch from ps.branch where branch_id = (p->>'registered_branch_id')::bigint
            and ps.can_see_institution(institution_id);
        if not found then v_errors := v_errors || 'registeredBranchId:not_found'::text; end if;
        select patron_type_id into v_type_id from ps.patron_type
            where patron_type_id = (p->>'patron_type_id')::bigint and institution_id = v_branch.institution_id and deleted_at is null;
        if v_type_id is null then v_errors := v_errors || 'patronTypeId:not_found'::text; end if;
        if p->>'email' is not null and p->>'email' !~ v_email_pattern then v_errors := v_errors || 'email:invalid_email'::text; end if;
        if p->>'alt_email' is not null and p->>'alt_email' !~ v_email_pattern then v_errors := v_errors || 'altEmail:invalid_email'::text; end if;
        if p->>'institution_email' is not null and p->>'institution_email' !~ v_email_pattern then
            v_errors := v_errors || 'institutionEmail:invalid_email'::text;
        end if;
        if coalesce(p->>'postal_code', '') <> '' and not exists (
            select 1 from ps.postal_code pc where upper(pc.postal_code) = upper(p->>'postal_code') and pc.country = coalesce(p->>'country', 'US')) then
            v_errors := v_errors || 'postalCode:postal_code_not_found'::text;
        end if;
        if coalesce(p->>'notification_method', 'mail') not in ('mail', 'email', 'phone', 'text') then
            v_errors := v_errors || 'notificationMethod:invalid'::text;
        end if;
        if exists (select 1 from ps.patron x where lower(x.barcode) = lower(p->>'barcode') and x.patron_id is distinct from p_patron_id)
           or (p_patron_id is null and exists (select 1 from ps.circulation_patrons() c where lower(c.barcode) = lower(p->>'barcode'))) then
            raise exception using errcode = 'PS409', message = 'barcode_taken', detail = 'That barcode is already in use.', hint = 'barcode:taken';
        end if;
        if cardinality(v_errors) > 0 then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'The patron has invalid fields.',
                hint = array_to_string(v_errors, ',');
        end if;
        if p_patron_id is null then
            insert into ps.patron (institution_id, barcode, registered_branch_id, patron_type_id, first_name, last_name,
                address_line1, address_line2, city, state, postal_code, country, email, alt_email, institution_email,
                phone1, phone2, phone3, notification_method, expiration_date, pin_hash)
            values (v_branch.institution_id, p->>'barcode', v_branch.branch_id, v_type_id, p->>'first_name', p->>'last_name',
                coalesce(p->>'address_line1', ''), coalesce(p->>'address_line2', ''), coalesce(p->>'city', ''), coalesce(p->>'state', ''),
                coalesce(p->>'postal_code', ''), coalesce(p->>'country', 'US'), p->>'email', p->>'alt_email', p->>'institution_email',
                p->>'phone1', p->>'phone2', p->>'phone3', coalesce(p->>'notification_method', 'mail'), (p->>'expiration_date')::date,
                case when p->>'pin' is not null then ps.hash_pin(p->>'pin') end)
            returning patron_id into v_id;
        else
            if v_branch.institution_id <> v_existing.institution_id then
                raise exception using errcode = 'PS422', message = 'validation_failed',
                    detail = 'A patron can only be re-registered at a branch of the same library.', hint = 'registeredBranchId:other_library';
            end if;
            update ps.patron set barcode = p->>'barcode', registered_branch_id = v_branch.branch_id, patron_type_id = v_type_id,
                first_name = p->>'first_name', last_name = p->>'last_name', address_line1 = coalesce(p->>'address_line1', ''),
                address_line2 = coalesce(p->>'address_line2', ''), city = coalesce(p->>'city', ''), state = coalesce(p->>'state', ''),
                postal_code = coalesce(p->>'postal_code', ''), country = coalesce(p->>'country', 'US'), email = p->>'email',
                alt_email = p->>'alt_email', institution_email = p->>'institution_email', phone1 = p->>'phone1', phone2 = p->>'phone2',
                phone3 = p->>'phone3', notification_method = coalesce(p->>'notification_method', 'mail'),
                expiration_date = (p->>'expiration_date')::date,
                pin_hash = case when p->>'pin' is not null then ps.hash_pin(p->>'pin') else pin_hash end,
                updated_at = now()
            where patron_id = p_patron_id
            returning patron_id into v_id;
        end if;
        return v_id;
    end $$;
comment on function ps.save_patron(bigint, jsonb) is
    'Creates (p_patron_id null) or updates a patron from snake_case JSON, validating every field (postal code against ps.postal_code, e-mail formats, barcode unique in the consortium). PS422 lists all offending fields.';

-- Saves a setting at a level and records the change (who, when, old, new).
create function ps.save_setting(p_name text, p_level text, p_institution_id bigint, p_branch_id bigint, p_value jsonb) returns void
    language plpgsql volatile
    as $$
    declare
        v_old jsonb;
        v_actor text := coalesce(nullif(current_setting('ps.actor', true), ''), session_user);
    begin
        if not exists (select 1 from ps.setting_definition where name = p_name) then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'Unknown setting.', hint = p_name || ':unknown_setting';
        end if;
        select value into v_old from ps.setting_value
        where name = p_name and level = p_level and institution_id is not distinct from p_institution_id and branch_id is not distinct from p_branch_id
        for update;
        if p_value is null then
            delete from ps.setting_value
            where name = p_name and level = p_level and institution_id is not distinct from p_institution_id and branch_id is not distinct from p_branch_id;
        elsif v_old is null then
            insert into ps.setting_value (name, level, institution_id, branch_id, value, updated_by)
            values (p_name, p_level, p_institution_id, p_branch_id, p_value, v_actor);
        else
            update ps.setting_value set value = p_value, updated_at = now(), updated_by = v_actor
            where name = p_name and level = p_level and institution_id is not distinct from p_institution_id and branch_id is not distinct from p_branch_id;
        end if;
        if v_old is distinct from p_value then
            insert into ps.setting_change (name, level, institution_id, branch_id, old_value, new_value, changed_by)
            values (p_name, p_level, p_institution_id, p_branch_id, v_old, p_value, v_actor);
        end if;
    end $$;
comment on function ps.save_setting(text, text, bigint, bigint, jsonb) is
    'Sets (or with null, clears) a setting at system, library or branch level; refused for system-only settings below system level; audited in ps.setting_change.';

grant execute on all functions in schema ps to patron_app;
revoke execute on function ps.create_staff_token(text, bigint, text, timestamptz, text), ps.revoke_staff_token(bigint),
    ps.create_pac_client(bigint, text, text), ps.revoke_pac_client(bigint), ps.staff_tokens(), ps.pac_clients() from public, patron_report;

-- API representation: top-level keys in camelCase, secrets removed.
create function ps.to_api(p jsonb) returns jsonb
    language sql immutable parallel safe
    as $$
        select coalesce(jsonb_object_agg(
            regexp_replace(initcap(replace(key, '_', ' ')), ' ', '', 'g'), value), '{}'::jsonb)
            || '{}'::jsonb
        from jsonb_each(p - 'pin_hash' - 'token_hash' - 'key_hash')
    $$;
comment on function ps.to_api(jsonb) is 'Renames a row''s JSON keys to camelCase (first letter lower-cased by ps.api) and drops secret hashes.';

create function ps.api(p jsonb) returns jsonb
    language sql immutable parallel safe
    as $$
        select coalesce(jsonb_object_agg(lower(left(key, 1)) || substr(key, 2), value), '{}'::jsonb)
        from jsonb_each(ps.to_api(p))
    $$;
comment on function ps.api(jsonb) is 'A row as the REST API shows it: camelCase keys, no secret hashes.';

create function ps.branch_name(p_branch_id bigint) returns text
    language sql stable security definer set search_path = ps, pg_temp
    as $$ select name from branch where branch_id = p_branch_id $$;
comment on function ps.branch_name(bigint) is 'A branch''s display name (directory information, readable by any caller).';

-- Volatile on purpose: called right after ps.save_patron in the same statement, it must see the row
-- that call wrote (a stable function would read the statement's older snapshot).
create function ps.patron_api(p_patron_id bigint) returns jsonb
    language sql volatile
    as $$
        select ps.api(to_jsonb(p)) || jsonb_build_object('blocks', coalesce((
            select jsonb_agg(ps.api(to_jsonb(b)) order by b.block_id) from ps.patron_block b
            where b.institution_id = p.institution_id and b.patron_id = p.patron_id and b.lifted_at is null), '[]'))
        from ps.patron p where p.patron_id = p_patron_id and p.deleted_at is null
    $$;
comment on function ps.patron_api(bigint) is 'A patron as the REST API shows it, with active blocks and without the PIN hash.';
