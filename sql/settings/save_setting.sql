-- Saves a setting at a level and records the change (who, when, old, new).
create or replace function ps.save_setting(p_name text, p_level text, p_institution_id bigint, p_branch_id bigint, p_value jsonb) returns void
    language plpgsql volatile
    as $$
    declare
        v_old jsonb;
        v_actor text := coalesce(nullif(ps.request_setting('ps.actor'), ''), session_user);
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

create or replace function ps.setting_value_guard() returns trigger
    language plpgsql
    as $$
    declare
        v_definition ps.setting_definition;
    begin
        select * into v_definition from ps.setting_definition where name = new.name;
        if v_definition.system_only and new.level <> 'system' then
            raise exception using errcode = 'PS422', message = 'system_level_only',
                detail = format('%s can only be set at system level.', new.name), hint = new.name || ':system_level_only';
        end if;
        if not (case v_definition.value_type
                    when 'boolean' then jsonb_typeof(new.value) = 'boolean'
                    when 'text' then jsonb_typeof(new.value) = 'string'
                    when 'integer' then jsonb_typeof(new.value) = 'number' and new.value::text ~ '^-?[0-9]+$'
                    else true end) then
            raise exception using errcode = 'PS422', message = 'wrong_type',
                detail = format('%s must be a %s.', new.name, v_definition.value_type), hint = new.name || ':wrong_type';
        end if;
        -- Integer settings with a documented range (the reminder days and the delivery attempt limit).
        if v_definition.value_type = 'integer' and new.name in ('notices.almost_overdue_days', 'notices.expiration_reminder_days',
                'notices.inactive_patron_days', 'notices.max_attempts')
            and (new.value::text)::numeric not between (case new.name when 'notices.max_attempts' then 1 else 0 end)
                and (case new.name when 'notices.almost_overdue_days' then 30 when 'notices.expiration_reminder_days' then 365
                                   when 'notices.inactive_patron_days' then 3650 else 50 end) then
            raise exception using errcode = 'PS422', message = 'validation_failed',
                detail = format('%s is out of its range (see its description).', new.name), hint = 'value:out_of_range';
        end if;
        if new.level = 'branch' and not exists (
            select 1 from ps.branch where branch_id = new.branch_id and institution_id = new.institution_id) then
            -- Another library's branch is as unknown to the caller as one that does not exist.
            raise exception using errcode = 'PS404', message = 'branch_not_found', detail = 'No such branch in that library.';
        end if;
        return new;
    end $$;
create trigger setting_value_guard before insert or update on ps.setting_value
    for each row execute function ps.setting_value_guard();
comment on function ps.setting_value_guard() is
    'Trigger on ps.setting_value: refuses unknown settings, system-only settings below system level, values of the wrong type or out of range (notices.* days: 0–30, 0–365, 0–3650; notices.max_attempts 1–50) (PS422), and branches outside the library (PS404).';

create or replace function ps.setting_mode_guard() returns trigger
    language plpgsql
    as $$
    begin
        if new.name in ('pac.address_change', 'pac.email_change', 'pac.phone_change')
           and new.value #>> '{}' not in ('not_allowed', 'request', 'direct') then
            raise exception using errcode = 'PS422', message = 'validation_failed',
                detail = 'Use not_allowed, request or direct.', hint = 'value:invalid';
        end if;
        if new.name = 'pac.update_patron_types' and (jsonb_typeof(new.value) <> 'array'
           or exists (select 1 from jsonb_array_elements(new.value) e where jsonb_typeof(e) <> 'string')) then
            raise exception using errcode = 'PS422', message = 'validation_failed',
                detail = 'A list of patron type codes.', hint = 'value:invalid';
        end if;
        if new.name = 'circulation.loan_period_days' and not (new.value::text ~ '^[0-9]+$' and (new.value::text)::bigint between 1 and 365) then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'A loan period of 1 to 365 days.', hint = 'value:invalid';
        end if;
        if new.name = 'pac.staff_request_email' and new.value #>> '{}' <> '' and new.value #>> '{}' !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'Not an e-mail address.', hint = 'value:invalid_email';
        end if;
        return new;
    end $$;
create trigger setting_mode_guard before insert or update on ps.setting_value
    for each row execute function ps.setting_mode_guard();
comment on function ps.setting_mode_guard() is
    'Trigger on ps.setting_value: Patron Access Options modes are not_allowed, request or direct; allowed patron codes a list of strings; the staff request address an e-mail; the loan period 1 to 365 days (PS422).';
