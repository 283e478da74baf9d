-- Patron Access Options as administrators edit them: camelCase option names → settings.
create or replace function ps.access_option_setting(p_option text) returns text
    language sql immutable
    as $$
        select case p_option
            when 'changeNotificationMethod' then 'pac.change_notification_method'
            when 'confirmationEmail' then 'pac.confirmation_email'
            when 'addressChange' then 'pac.address_change'
            when 'emailChange' then 'pac.email_change'
            when 'phoneChange' then 'pac.phone_change'
            when 'staffRequestEmail' then 'pac.staff_request_email'
            when 'phoneValidation' then 'pac.phone_validation'
            when 'updatePatronTypes' then 'pac.update_patron_types'
            when 'optOutAlmostOverdueAutoRenew' then 'pac.optout_almost_overdue_auto_renew'
            when 'optOutPatronRecordExpiration' then 'pac.optout_patron_record_expiration'
            when 'optOutInactivePatron' then 'pac.optout_inactive_patron' end
    $$;
comment on function ps.access_option_setting(text) is 'The setting name behind a Patron Access Options contact field.';

-- Saves the dialog at one level in one transaction: every option or none (a null value clears the level's
-- own value so the level above applies again). Each change is audited by ps.save_setting.
create or replace function ps.save_access_options(p_level text, p_institution_id bigint, p_branch_id bigint, p_options jsonb) returns void
    language plpgsql volatile
    as $$
    declare
        v_key text;
        v_errors text[] := '{}';
    begin
        if jsonb_typeof(p_options) <> 'object' then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'options must be an object.', hint = 'options:invalid';
        end if;
        for v_key in select jsonb_object_keys(p_options) loop
            if ps.access_option_setting(v_key) is null then v_errors := v_errors || (v_key || ':unknown_option'); end if;
        end loop;
        if cardinality(v_errors) > 0 then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'Unknown options.', hint = array_to_string(v_errors, ',');
        end if;
        if p_level = 'branch' and p_institution_id is null then
            select institution_id into p_institution_id from ps.branch where branch_id = p_branch_id;
        end if;
        if p_level <> 'system' and not exists (select 1 from ps.library where institution_id = p_institution_id) then
            raise exception using errcode = 'PS404', message = 'not_found', detail = 'No such library or branch.';
        end if;
        for v_key in select jsonb_object_keys(p_options) loop
            perform ps.save_setting(ps.access_option_setting(v_key), p_level, p_institution_id, p_branch_id,
                case when jsonb_typeof(p_options->v_key) = 'null' then null else p_options->v_key end);
        end loop;
    end $$;
comment on function ps.save_access_options(text, bigint, bigint, jsonb) is
    'Saves Patron Access Options (Contact Info) at system, library or branch level atomically; refuses unknown options and, below system level, phoneValidation.';

-- Adds or removes one patron code from the list at a level. The level starts from the list it
-- currently inherits, so removing a code at a branch does not lose the library's other codes.
create or replace function ps.edit_update_patron_types(p_level text, p_institution_id bigint, p_branch_id bigint, p_code text, p_add boolean)
    returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_branch bigint := p_branch_id;
        v_current jsonb;
        v_new jsonb;
    begin
        if p_level = 'branch' then
            select institution_id into p_institution_id from ps.branch where branch_id = p_branch_id;
            if p_institution_id is null then
                raise exception using errcode = 'PS404', message = 'branch_not_found', detail = 'No such branch.';
            end if;
        elsif p_level = 'library' then
            select min(branch_id) into v_branch from ps.branch where institution_id = p_institution_id;
            if not exists (select 1 from ps.library where institution_id = p_institution_id) then
                raise exception using errcode = 'PS404', message = 'library_not_found', detail = 'No such library.';
            end if;
        end if;
        if p_add and p_level <> 'system' and not exists (
            select 1 from ps.patron_type where institution_id = p_institution_id and lower(code) = lower(p_code) and deleted_at is null) then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'No such patron type in this library.',
                hint = 'code:not_found';
        end if;
        select value into v_current from ps.setting_value where name = 'pac.update_patron_types' and level = p_level
            and institution_id is not distinct from (case when p_level = 'system' then null else p_institution_id end)
            and branch_id is not distinct from (case when p_level = 'branch' then p_branch_id end);
        if v_current is null and v_branch is not null then
            select r.value into v_current from ps.resolve_setting(v_branch, 'pac.update_patron_types') r;
        end if;
        v_current := coalesce(v_current, '[]');
        select coalesce(jsonb_agg(c order by c), '[]') into v_new from (
            select distinct c from jsonb_array_elements_text(v_current) c where lower(c) <> lower(p_code)
            union select upper(p_code) where p_add) x;
        perform ps.save_setting('pac.update_patron_types', p_level,
            case when p_level = 'system' then null else p_institution_id end,
            case when p_level = 'branch' then p_branch_id end, v_new);
        return v_new;
    end $$;
comment on function ps.edit_update_patron_types(text, bigint, bigint, text, boolean) is
    'Adds (p_add) or removes a patron code from the codes that may request account updates online, at one level; returns the level''s new list.';
