-- Online patron account updates (Polaris Patron Access Options, Contact Info tab): options per system,
-- library and branch; PAC change requests with per-field outcomes; the Verify Patron block; staff
-- resolution per field; notice opt-outs; an outbox for the e-mails.

-- ---------------------------------------------------------------------------------------------------
-- Patron Access Options (settings inherited system → library → branch)
-- ---------------------------------------------------------------------------------------------------

insert into ps.setting_definition (name, value_type, system_only, default_value, description) values
    ('pac.change_notification_method', 'boolean', false, 'false', 'Patron can change notification method (never places a verification block).'),
    ('pac.confirmation_email', 'boolean', false, 'false', 'Confirmation e-mail to patron when a change request is submitted (to primary and alternate addresses).'),
    ('pac.address_change', 'text', false, '"not_allowed"', 'Patron address: not_allowed, request (Verify Patron block and staff e-mail) or direct (no verification).'),
    ('pac.email_change', 'text', false, '"not_allowed"', 'E-mail address: not_allowed, request or direct.'),
    ('pac.phone_change', 'text', false, '"not_allowed"', 'Phone number: not_allowed, request or direct.'),
    ('pac.staff_request_email', 'text', false, '""', 'Where change-request e-mails to staff go; empty means the branch''s staff e-mail.'),
    ('pac.phone_validation', 'boolean', true, 'false', 'Enable phone validation (system level only): area code / prefix / four-digit number.'),
    ('pac.update_patron_types', 'json', false, '[]', 'Patron type (patron code) codes that may request account updates online.'),
    ('pac.optout_almost_overdue_auto_renew', 'boolean', false, 'false', 'Patrons may opt out of the almost overdue / auto-renew reminder.'),
    ('pac.optout_patron_record_expiration', 'boolean', false, 'false', 'Patrons may opt out of the patron record expiration reminder.'),
    ('pac.optout_inactive_patron', 'boolean', false, 'false', 'Patrons may opt out of the inactive patron reminder.');

create function ps.setting_mode_guard() returns trigger
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
        if new.name = 'pac.staff_request_email' and new.value #>> '{}' <> '' and new.value #>> '{}' !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'Not an e-mail address.', hint = 'value:invalid_email';
        end if;
        return new;
    end $$;
create trigger setting_mode_guard before insert or update on ps.setting_value
    for each row execute function ps.setting_mode_guard();

-- ---------------------------------------------------------------------------------------------------
-- Patron data the feature adds
-- ---------------------------------------------------------------------------------------------------

alter table ps.patron
    add column exclude_almost_overdue_auto_renew boolean not null default false,
    add column exclude_patron_rec_expiration boolean not null default false,
    add column exclude_inactive_patron boolean not null default false;
comment on column ps.patron.exclude_almost_overdue_auto_renew is 'Polaris ExcludeFromAlmostOverdueAutoRenew: the patron opted out of the almost overdue / auto-renew reminder.';
comment on column ps.patron.exclude_patron_rec_expiration is 'Polaris ExcludeFromPatronRecExpiration.';
comment on column ps.patron.exclude_inactive_patron is 'Polaris ExcludeFromInactivePatron.';

create table ps.postal_code_format (
    country text primary key check (country ~ '^[A-Z]{2}$'),
    mask text not null check (mask ~ '^[9AZ -]+$')
);
comment on table ps.postal_code_format is 'Postal code masks per country (9 a digit, A a letter, Z a digit or letter), e.g. US 99999 or 99999-9999 (several masks separated by |... one per row is enough here).';
insert into ps.postal_code_format values ('US', '99999'), ('CA', 'A9A 9A9');
alter table ps.postal_code_format enable row level security;
alter table ps.postal_code_format force row level security;
create policy postal_code_format_read on ps.postal_code_format for select using (true);
create policy postal_code_format_write on ps.postal_code_format for all using (ps.is_consortium_admin()) with check (ps.is_consortium_admin());

create function ps.postal_code_matches_mask(p_code text, p_mask text) returns boolean
    language sql immutable
    as $$
        select length(p_code) = length(p_mask) and not exists (
            select 1 from generate_series(1, length(p_mask)) i
            where not case substr(p_mask, i, 1)
                when '9' then substr(p_code, i, 1) ~ '[0-9]'
                when 'A' then substr(p_code, i, 1) ~ '[A-Za-z]'
                when 'Z' then substr(p_code, i, 1) ~ '[0-9A-Za-z]'
                else substr(p_code, i, 1) = substr(p_mask, i, 1) end)
    $$;
comment on function ps.postal_code_matches_mask(text, text) is 'True when a postal code fits a Polaris-style mask (9 digit, A letter, Z either).';

-- ---------------------------------------------------------------------------------------------------
-- Change requests, their fields and history; the outbox
-- ---------------------------------------------------------------------------------------------------

create table ps.change_request (
    institution_id bigint not null,
    request_id bigint generated always as identity,
    patron_id bigint not null,
    branch_id bigint not null,
    status text not null default 'pending' check (status in ('pending', 'resolved')),
    submitted_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (institution_id, request_id),
    unique (request_id),
    foreign key (institution_id, patron_id) references ps.patron (institution_id, patron_id) on update cascade
);
create unique index change_request_one_pending on ps.change_request (institution_id, patron_id) where status = 'pending';
comment on table ps.change_request is 'A patron''s PAC change request: at most one pending per patron; later submissions merge into it field by field.';

create table ps.change_request_field (
    institution_id bigint not null,
    request_id bigint not null,
    patron_id bigint not null,
    field text not null check (field in ('address', 'email', 'phone', 'notification_method')),
    old_value jsonb,
    new_value jsonb not null,
    state text not null check (state in ('pending', 'approved', 'rejected')),
    reason text,
    decided_at timestamptz,
    decided_by text,
    primary key (institution_id, request_id, field),
    foreign key (institution_id, request_id) references ps.change_request (institution_id, request_id)
);
comment on table ps.change_request_field is 'The fields of a change request awaiting verification, and staff decisions on them.';

create table ps.change_request_event (
    institution_id bigint not null,
    event_id bigint generated always as identity,
    request_id bigint not null,
    patron_id bigint not null,
    field text,
    event text not null check (event in ('submitted', 'applied', 'pending', 'superseded', 'refused', 'approved', 'rejected', 'block_placed', 'block_lifted')),
    old_value jsonb,
    new_value jsonb,
    reason text,
    actor text not null,
    at timestamptz not null default now(),
    primary key (institution_id, event_id)
);
comment on table ps.change_request_event is 'Every state change of a patron''s change requests: who, when, what.';

create table ps.change_submission (
    institution_id bigint not null,
    patron_id bigint not null,
    idempotency_key text not null check (length(idempotency_key) between 1 and 200),
    response jsonb not null,
    created_at timestamptz not null default now(),
    primary key (institution_id, patron_id, idempotency_key)
);
comment on table ps.change_submission is 'Answers to PAC submissions by Idempotency-Key, so a resent submission gets the first answer.';

create table ps.outbox (
    institution_id bigint not null,
    message_id bigint generated always as identity,
    kind text not null check (kind in ('patron_change_confirmation', 'staff_change_request')),
    patron_id bigint not null,
    branch_id bigint not null,
    recipients text[] not null check (cardinality(recipients) > 0),
    payload jsonb not null,
    created_at timestamptz not null default now(),
    sent_at timestamptz,
    primary key (institution_id, message_id)
);
comment on table ps.outbox is 'E-mails to send, written in the same transaction as the change that causes them; delivery is separate.';

do $$
declare t text;
begin
    foreach t in array array['change_request', 'change_request_field', 'change_request_event', 'change_submission', 'outbox'] loop
        execute format('alter table ps.%I enable row level security', t);
        execute format('alter table ps.%I force row level security', t);
        execute format('create policy tenant_read on ps.%I for select using (ps.can_see_institution(institution_id)
            and (coalesce(ps.current_staff_role(), '''') not in (''patron'', ''pac'') or patron_id = nullif(current_setting(''ps.patron_id'', true), '''')::bigint))', t);
        execute format('create policy tenant_write on ps.%I for all using (ps.can_write_institution(institution_id)
            and (coalesce(ps.current_staff_role(), '''') not in (''patron'', ''pac'') or patron_id = nullif(current_setting(''ps.patron_id'', true), '''')::bigint))
            with check (ps.can_write_institution(institution_id)
            and (coalesce(ps.current_staff_role(), '''') not in (''patron'', ''pac'') or patron_id = nullif(current_setting(''ps.patron_id'', true), '''')::bigint))', t);
        -- The PAC submission function runs as the owner (security definer) for the signed-in patron only.
        execute format('create policy owner_all on ps.%I for all to patron_owner using (true) with check (true)', t);
    end loop;
end $$;
create policy owner_write on ps.patron_block for all to patron_owner using (true) with check (true);

-- ---------------------------------------------------------------------------------------------------
-- What a PAC shows: the options of the branch in scope
-- ---------------------------------------------------------------------------------------------------

create function ps.pac_options(p_branch_id bigint, p_patron_id bigint) returns jsonb
    language plpgsql stable security definer set search_path = ps, pg_temp
    as $$
    declare
        v jsonb;
        v_type text;
        v_allowed boolean;
    begin
        select jsonb_object_agg(r.name, jsonb_build_object('value', r.value, 'level', r.level,
                   'institutionId', r.institution_id, 'branchId', r.branch_id))
        into v from resolve_setting(p_branch_id, null) r where r.name like 'pac.%';
        if p_patron_id is not null then
            select t.code into v_type from patron p join patron_type t using (institution_id, patron_type_id) where p.patron_id = p_patron_id;
            v_allowed := exists (select 1 from jsonb_array_elements_text(v #> '{pac.update_patron_types,value}') c where lower(c) = lower(v_type));
        end if;
        return jsonb_build_object(
            'branchId', p_branch_id,
            'patronCanRequestUpdates', v_allowed,
            'fields', jsonb_build_object(
                'notificationMethod', case when (v #>> '{pac.change_notification_method,value}')::boolean then 'direct' else 'not_allowed' end,
                'address', v #>> '{pac.address_change,value}',
                'email', v #>> '{pac.email_change,value}',
                'phone', v #>> '{pac.phone_change,value}'),
            'phoneInput', case when (v #>> '{pac.phone_validation,value}')::boolean
                then jsonb_build_object('form', 'split', 'parts', jsonb_build_array('areaCode', 'prefix', 'lineNumber'))
                else jsonb_build_object('form', 'single') end,
            'confirmationEmail', (v #>> '{pac.confirmation_email,value}')::boolean,
            'optOuts', (select coalesce(jsonb_agg(o.notice order by o.notice), '[]') from (values
                ('almostOverdueAutoRenew', 'pac.optout_almost_overdue_auto_renew'),
                ('inactivePatron', 'pac.optout_inactive_patron'),
                ('patronRecordExpiration', 'pac.optout_patron_record_expiration')) o (notice, setting)
                where (v #>> array[o.setting, 'value'])::boolean),
            'sources', v);
    end $$;
comment on function ps.pac_options(bigint, bigint) is
    'The Patron Access Options (Contact Info) of a branch as a PAC should render them: per field direct/request/not_allowed, whether the patron''s code may request updates, the phone input form, offered opt-outs, and the level each setting came from.';

-- ---------------------------------------------------------------------------------------------------
-- Validation helpers
-- ---------------------------------------------------------------------------------------------------

-- North American numbers: area code and prefix 2-9 then two digits, four-digit line number.
create function ps.normalise_phone(p jsonb, p_validate boolean) returns text
    language plpgsql immutable
    as $$
    declare
        v_digits text;
    begin
        if jsonb_typeof(p) = 'object' then
            v_digits := coalesce(p->>'areaCode', '') || coalesce(p->>'prefix', '') || coalesce(p->>'lineNumber', '');
            if not p_validate then return nullif(trim(concat_ws('-', p->>'areaCode', p->>'prefix', p->>'lineNumber')), ''); end if;
        elsif jsonb_typeof(p) = 'string' then
            if not p_validate then
                return case when length(trim(p #>> '{}')) between 1 and 30 then trim(p #>> '{}') end;
            end if;
            v_digits := regexp_replace(p #>> '{}', '[\s().-]', '', 'g');
        else
            return null;
        end if;
        if v_digits !~ '^[2-9][0-9]{2}[2-9][0-9]{2}[0-9]{4}$' then return null; end if;
        return substr(v_digits, 1, 3) || '-' || substr(v_digits, 4, 3) || '-' || substr(v_digits, 7, 4);
    end $$;
comment on function ps.normalise_phone(jsonb, boolean) is
    'With validation on: a valid area code/prefix/line number as NNN-NNN-NNNN, else null. With it off: the free text (1-30 characters).';

create function ps.add_field_error(p_errors text[], p_field text, p_code text) returns text[]
    language sql immutable as $$ select p_errors || (p_field || ':' || p_code) $$;

-- ---------------------------------------------------------------------------------------------------
-- Submitting changes from the PAC
-- ---------------------------------------------------------------------------------------------------

-- Security invoker: staff apply approved values under their own row-level security; the PAC
-- submission (security definer) applies direct changes as the owner, for the signed-in patron only.
create function ps.apply_patron_field(p_patron_id bigint, p_field text, p_value jsonb) returns void
    language plpgsql volatile set search_path = ps, pg_temp
    as $$
    begin
        case p_field
            when 'notification_method' then
                update patron set notification_method = p_value #>> '{}', updated_at = now() where patron_id = p_patron_id;
            when 'email' then
                update patron set email = p_value #>> '{}', updated_at = now() where patron_id = p_patron_id;
            when 'phone' then
                update patron set phone1 = p_value #>> '{}', updated_at = now() where patron_id = p_patron_id;
            when 'address' then
                update patron set address_line1 = p_value->>'line1', address_line2 = coalesce(p_value->>'line2', ''),
                    city = p_value->>'city', state = p_value->>'state', postal_code = p_value->>'postalCode',
                    country = p_value->>'country', updated_at = now()
                where patron_id = p_patron_id;
        end case;
    end $$;

create function ps.patron_field_value(p ps.patron, p_field text) returns jsonb
    language sql immutable
    as $$
        select case p_field
            when 'notification_method' then to_jsonb(p.notification_method)
            when 'email' then to_jsonb(p.email)
            when 'phone' then to_jsonb(p.phone1)
            when 'address' then jsonb_build_object('line1', p.address_line1, 'line2', p.address_line2, 'city', p.city,
                'state', p.state, 'postalCode', p.postal_code, 'country', p.country) end
    $$;

-- The "Submit Change Request" button: one call, one transaction, all or nothing.
create function ps.submit_change_request(p_changes jsonb, p_idempotency_key text) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_patron patron;
        v_patron_id bigint := nullif(current_setting('ps.patron_id', true), '')::bigint;
        v_actor text := coalesce(nullif(current_setting('ps.actor', true), ''), 'patron');
        v_options jsonb;
        v_previous jsonb;
        v_errors text[] := '{}';
        v_values jsonb := '{}';
        v_outcomes jsonb := '{}';
        v_field text;
        v_input_key text;
        v_mode text;
        v_new jsonb;
        v_pc postal_code;
        v_mask text;
        v_request_id bigint;
        v_pending text[] := '{}';
        v_accepted int := 0;
        v_staff text;
        v_recipients text[];
        v_response jsonb;
        v_validate_phone boolean;
        v_code text;
    begin
        if v_patron_id is null then
            raise exception using errcode = 'PS401', message = 'sign_in_required', detail = 'Sign in first.';
        end if;
        if p_idempotency_key is not null then
            select response into v_previous from change_submission
            where patron_id = v_patron_id and idempotency_key = p_idempotency_key;
            if found then return v_previous; end if;
        end if;
        -- Serialises submissions (and staff decisions) for this patron.
        select * into v_patron from patron where patron_id = v_patron_id and deleted_at is null for update;
        v_options := pac_options(v_patron.registered_branch_id, v_patron_id);
        if not coalesce((v_options->>'patronCanRequestUpdates')::boolean, false) then
            raise exception using errcode = 'PS403', message = 'patron_code_not_allowed',
                detail = 'Your patron code may not request account updates online.';
        end if;
        if p_changes is null or jsonb_typeof(p_changes) <> 'object' or p_changes = '{}'::jsonb then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'Nothing to change.', hint = 'changes:required';
        end if;
        if exists (select 1 from jsonb_object_keys(p_changes) k where k not in ('notificationMethod', 'email', 'phone', 'address')) then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'Unknown field.', hint = 'changes:unknown_field';
        end if;
        v_validate_phone := (v_options #>> '{sources,pac.phone_validation,value}')::boolean;

        -- Validate every value first: bad input changes nothing.
        if p_changes ? 'notificationMethod' then
            if p_changes->>'notificationMethod' not in ('mail', 'email', 'phone', 'text') or jsonb_typeof(p_changes->'notificationMethod') <> 'string' then
                v_errors := add_field_error(v_errors, 'notificationMethod', 'invalid');
            else v_values := v_values || jsonb_build_object('notification_method', p_changes->'notificationMethod'); end if;
        end if;
        if p_changes ? 'email' then
            if jsonb_typeof(p_changes->'email') <> 'string' or p_changes->>'email' !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' or length(p_changes->>'email') > 254 then
                v_errors := add_field_error(v_errors, 'email', 'invalid_email');
            else v_values := v_values || jsonb_build_object('email', lower(p_changes->>'email')); end if;
        end if;
        if p_changes ? 'phone' then
            v_new := to_jsonb(normalise_phone(p_changes->'phone', v_validate_phone));
            if v_new is null or v_new = 'null'::jsonb then v_errors := add_field_error(v_errors, 'phone', 'invalid_phone');
            else v_values := v_values || jsonb_build_object('phone', v_new); end if;
        end if;
        if p_changes ? 'address' then
            v_new := p_changes->'address';
            v_code := upper(trim(coalesce(v_new->>'postalCode', '')));
            select mask into v_mask from postal_code_format where country = coalesce(v_new->>'country', 'US');
            if jsonb_typeof(v_new) <> 'object' or length(trim(coalesce(v_new->>'line1', ''))) not between 1 and 200 then
                v_errors := add_field_error(v_errors, 'address.line1', 'required');
            end if;
            if v_mask is not null and not postal_code_matches_mask(v_code, v_mask) then
                v_errors := add_field_error(v_errors, 'address.postalCode', 'invalid_postal_code_format');
            else
                select * into v_pc from postal_code where upper(postal_code) = v_code and country = coalesce(v_new->>'country', 'US');
                if not found then v_errors := add_field_error(v_errors, 'address.postalCode', 'postal_code_not_found'); end if;
            end if;
            if cardinality(v_errors) = 0 or not (array_to_string(v_errors, ',') like '%address.%') then
                v_values := v_values || jsonb_build_object('address', jsonb_build_object('line1', trim(v_new->>'line1'),
                    'line2', coalesce(trim(v_new->>'line2'), ''), 'city', v_pc.city, 'state', v_pc.state,
                    'postalCode', v_pc.postal_code, 'country', v_pc.country));
            end if;
        end if;
        if cardinality(v_errors) > 0 then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'Some values are not valid.',
                hint = array_to_string(v_errors, ',');
        end if;

        for v_field, v_new in select key, value from jsonb_each(v_values) loop
            v_input_key := case v_field when 'notification_method' then 'notificationMethod' else v_field end;
            v_mode := v_options #>> array['fields', v_input_key];
            if v_mode = 'not_allowed' then
                v_outcomes := v_outcomes || jsonb_build_object(v_input_key, jsonb_build_object('outcome', 'refused', 'reason', 'change_not_allowed'));
                continue;
            end if;
            v_accepted := v_accepted + 1;
            if v_mode = 'direct' then
                perform apply_patron_field(v_patron_id, v_field, v_new);
                v_outcomes := v_outcomes || jsonb_build_object(v_input_key, jsonb_build_object('outcome', 'applied'));
            else
                v_pending := v_pending || v_field;
                v_outcomes := v_outcomes || jsonb_build_object(v_input_key, jsonb_build_object('outcome', 'pending_verification'));
            end if;
        end loop;

        if cardinality(v_pending) > 0 then
            select request_id into v_request_id from change_request where patron_id = v_patron_id and status = 'pending';
            if v_request_id is null then
                insert into change_request (institution_id, patron_id, branch_id)
                values (v_patron.institution_id, v_patron_id, v_patron.registered_branch_id) returning request_id into v_request_id;
                insert into change_request_event (institution_id, request_id, patron_id, event, actor)
                values (v_patron.institution_id, v_request_id, v_patron_id, 'submitted', v_actor);
            else
                update change_request set updated_at = now() where request_id = v_request_id;
            end if;
            foreach v_field in array v_pending loop
                -- A newer value for a field already awaiting verification replaces it (kept in history).
                insert into change_request_event (institution_id, request_id, patron_id, field, event, old_value, new_value, actor)
                select institution_id, request_id, patron_id, field, 'superseded', old_value, new_value, v_actor
                from change_request_field where request_id = v_request_id and field = v_field and state = 'pending';
                insert into change_request_field (institution_id, request_id, patron_id, field, old_value, new_value, state)
                values (v_patron.institution_id, v_request_id, v_patron_id, v_field, patron_field_value(v_patron, v_field), v_values->v_field, 'pending')
                on conflict (institution_id, request_id, field) do update
                    set new_value = excluded.new_value, state = 'pending', reason = null, decided_at = null, decided_by = null;
                insert into change_request_event (institution_id, request_id, patron_id, field, event, old_value, new_value, actor)
                values (v_patron.institution_id, v_request_id, v_patron_id, v_field, 'pending', patron_field_value(v_patron, v_field), v_values->v_field, v_actor);
            end loop;
            if not exists (select 1 from patron_block where patron_id = v_patron_id and kind = 'verify_patron' and lifted_at is null) then
                insert into patron_block (institution_id, patron_id, kind, reason, created_by)
                values (v_patron.institution_id, v_patron_id, 'verify_patron', 'Online account update awaiting verification', v_actor);
                insert into change_request_event (institution_id, request_id, patron_id, event, actor)
                values (v_patron.institution_id, v_request_id, v_patron_id, 'block_placed', v_actor);
            end if;
            select coalesce(nullif(v_options #>> '{sources,pac.staff_request_email,value}', ''), b.staff_email) into v_staff
            from branch b where b.branch_id = v_patron.registered_branch_id;
            if v_staff is not null then
                insert into outbox (institution_id, kind, patron_id, branch_id, recipients, payload)
                values (v_patron.institution_id, 'staff_change_request', v_patron_id, v_patron.registered_branch_id, array[v_staff],
                    jsonb_build_object('requestId', v_request_id, 'barcode', v_patron.barcode, 'fields', to_jsonb(v_pending)));
            end if;
        end if;

        -- One confirmation, to the primary and alternate addresses on record, when anything was accepted.
        if v_accepted > 0 and coalesce((v_options->>'confirmationEmail')::boolean, false) then
            select array_remove(array[p.email, case when p.alt_email is distinct from p.email then p.alt_email end], null)
            into v_recipients from patron p where p.patron_id = v_patron_id;
            if cardinality(v_recipients) > 0 then
                insert into outbox (institution_id, kind, patron_id, branch_id, recipients, payload)
                values (v_patron.institution_id, 'patron_change_confirmation', v_patron_id, v_patron.registered_branch_id, v_recipients,
                    jsonb_build_object('fields', v_outcomes));
            end if;
        end if;

        v_response := jsonb_build_object('requestId', v_request_id, 'fields', v_outcomes,
            'verifyPatronBlock', exists (select 1 from patron_block where patron_id = v_patron_id and kind = 'verify_patron' and lifted_at is null));
        if p_idempotency_key is not null then
            insert into change_submission (institution_id, patron_id, idempotency_key, response)
            values (v_patron.institution_id, v_patron_id, p_idempotency_key, v_response);
        end if;
        return v_response;
    end $$;
comment on function ps.submit_change_request(jsonb, text) is
    'A signed-in patron''s change submission (address, email, phone, notificationMethod) under the registered branch''s options: per field applied, pending_verification or refused. Pending fields merge into the patron''s one pending request, place a Verify Patron block and e-mail staff; a confirmation e-mail goes to the patron''s primary and alternate addresses. Idempotent by key.';

create function ps.update_notice_optouts(p jsonb) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_patron patron;
        v_patron_id bigint := nullif(current_setting('ps.patron_id', true), '')::bigint;
        v_offered jsonb;
        v_key text;
    begin
        if v_patron_id is null then
            raise exception using errcode = 'PS401', message = 'sign_in_required', detail = 'Sign in first.';
        end if;
        select * into v_patron from patron where patron_id = v_patron_id for update;
        v_offered := pac_options(v_patron.registered_branch_id, v_patron_id)->'optOuts';
        for v_key in select jsonb_object_keys(p) loop
            if not v_offered ? v_key then
                raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'That opt-out is not offered.',
                    hint = v_key || ':optout_not_offered';
            end if;
            if jsonb_typeof(p->v_key) <> 'boolean' then
                raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'true or false.', hint = v_key || ':wrong_type';
            end if;
        end loop;
        update patron set
            exclude_almost_overdue_auto_renew = coalesce((p->>'almostOverdueAutoRenew')::boolean, exclude_almost_overdue_auto_renew),
            exclude_patron_rec_expiration = coalesce((p->>'patronRecordExpiration')::boolean, exclude_patron_rec_expiration),
            exclude_inactive_patron = coalesce((p->>'inactivePatron')::boolean, exclude_inactive_patron),
            updated_at = now()
        where patron_id = v_patron_id;
        return (select jsonb_build_object('almostOverdueAutoRenew', exclude_almost_overdue_auto_renew,
            'patronRecordExpiration', exclude_patron_rec_expiration, 'inactivePatron', exclude_inactive_patron)
            from patron where patron_id = v_patron_id);
    end $$;
comment on function ps.update_notice_optouts(jsonb) is 'The signed-in patron opts in or out of the reminder notices the registered branch offers.';

-- ---------------------------------------------------------------------------------------------------
-- Staff: the queue, per-field decisions, the block checkout reads
-- ---------------------------------------------------------------------------------------------------

create view ps.change_request_queue with (security_invoker = true) as
    select r.request_id, r.institution_id, r.patron_id, p.barcode, p.first_name, p.last_name, r.branch_id, r.submitted_at,
           now() - r.submitted_at as age,
           (select jsonb_agg(jsonb_build_object('field', f.field, 'oldValue', f.old_value, 'newValue', f.new_value, 'state', f.state)
                   order by f.field)
            from ps.change_request_field f where f.institution_id = r.institution_id and f.request_id = r.request_id) as fields
    from ps.change_request r
    join ps.patron p on p.institution_id = r.institution_id and p.patron_id = r.patron_id
    where r.status = 'pending';
comment on view ps.change_request_queue is 'Pending PAC change requests of the caller''s institution, with old and new value and state per field.';

create function ps.decide_change_field(p_request_id bigint, p_field text, p_decision text, p_reason text) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_request ps.change_request;
        v_field ps.change_request_field;
        v_actor text := coalesce(nullif(current_setting('ps.actor', true), ''), session_user);
    begin
        if p_decision not in ('approved', 'rejected') then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'approved or rejected.', hint = 'decision:invalid';
        end if;
        -- Row lock: two staff deciding at once are serialised; the second finds the field decided.
        select * into v_request from ps.change_request where request_id = p_request_id for update;
        if not found then
            raise exception using errcode = 'PS404', message = 'change_request_not_found', detail = 'No such change request.';
        end if;
        select * into v_field from ps.change_request_field where request_id = p_request_id and field = p_field;
        if not found then
            raise exception using errcode = 'PS404', message = 'field_not_found', detail = 'That field is not part of the request.';
        end if;
        if v_field.state <> 'pending' then
            raise exception using errcode = 'PS409', message = 'already_decided', detail = format('That field was already %s.', v_field.state);
        end if;
        update ps.change_request_field set state = p_decision, reason = p_reason, decided_at = now(), decided_by = v_actor
        where request_id = p_request_id and field = p_field;
        if p_decision = 'approved' then
            perform ps.apply_patron_field(v_request.patron_id, p_field, v_field.new_value);
        end if;
        insert into ps.change_request_event (institution_id, request_id, patron_id, field, event, old_value, new_value, reason, actor)
        values (v_request.institution_id, p_request_id, v_request.patron_id, p_field, p_decision, v_field.old_value, v_field.new_value, p_reason, v_actor);
        if not exists (select 1 from ps.change_request_field where request_id = p_request_id and state = 'pending') then
            update ps.change_request set status = 'resolved', updated_at = now() where request_id = p_request_id;
            update ps.patron_block set lifted_at = now(), lifted_by = v_actor
            where institution_id = v_request.institution_id and patron_id = v_request.patron_id and kind = 'verify_patron' and lifted_at is null;
            insert into ps.change_request_event (institution_id, request_id, patron_id, event, actor)
            values (v_request.institution_id, p_request_id, v_request.patron_id, 'block_lifted', v_actor);
        end if;
        return (select jsonb_build_object('requestId', r.request_id, 'status', r.status, 'fields', q.fields)
                from ps.change_request r
                left join lateral (select jsonb_agg(jsonb_build_object('field', f.field, 'oldValue', f.old_value, 'newValue', f.new_value,
                    'state', f.state, 'reason', f.reason) order by f.field) fields
                    from ps.change_request_field f where f.request_id = r.request_id) q on true
                where r.request_id = p_request_id);
    end $$;
comment on function ps.decide_change_field(bigint, text, text, text) is
    'Staff approve (apply) or reject one field of a change request; when no field remains pending the request is resolved and the Verify Patron block lifted.';

create function ps.checkout_blocks(p_patron_id bigint) returns table (kind text, reason text, created_at timestamptz)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select b.kind, b.reason, b.created_at from patron_block b
        where b.patron_id = p_patron_id and b.lifted_at is null order by b.created_at
    $$;
comment on function ps.checkout_blocks(bigint) is 'Active blocks that stop checkout for a patron (a Verify Patron block among them); read by the checkout eligibility check.';

grant execute on all functions in schema ps to patron_app;
grant select on ps.change_request_queue to patron_report;

-- Patron Access Options as administrators edit them: camelCase option names → settings.
create function ps.access_option_setting(p_option text) returns text
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

-- Saves the dialog at one level in one transaction: every option or none (a null value clears the level's
-- own value so the level above applies again). Each change is audited by ps.save_setting.
create function ps.save_access_options(p_level text, p_institution_id bigint, p_branch_id bigint, p_options jsonb) returns void
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

create or replace function ps.patron_api(p_patron_id bigint) returns jsonb
    language sql volatile
    as $$
        select ps.api(to_jsonb(p)) || jsonb_build_object(
            'blocks', coalesce((
                select jsonb_agg(ps.api(to_jsonb(b)) order by b.block_id) from ps.patron_block b
                where b.institution_id = p.institution_id and b.patron_id = p.patron_id and b.lifted_at is null), '[]'),
            'noticeOptOuts', jsonb_build_object('almostOverdueAutoRenew', p.exclude_almost_overdue_auto_renew,
                'patronRecordExpiration', p.exclude_patron_rec_expiration, 'inactivePatron', p.exclude_inactive_patron),
            'pendingChangeRequest', (
                select jsonb_build_object('requestId', r.request_id, 'submittedAt', r.submitted_at, 'fields',
                    (select jsonb_agg(jsonb_build_object('field', f.field, 'oldValue', f.old_value, 'newValue', f.new_value, 'state', f.state)
                            order by f.field)
                     from ps.change_request_field f where f.institution_id = r.institution_id and f.request_id = r.request_id))
                from ps.change_request r where r.institution_id = p.institution_id and r.patron_id = p.patron_id and r.status = 'pending'))
        from ps.patron p where p.patron_id = p_patron_id and p.deleted_at is null
    $$;

-- Adds or removes one patron code from the list at a level. The level starts from the list it
-- currently inherits, so removing a code at a branch does not lose the library's other codes.
create function ps.edit_update_patron_types(p_level text, p_institution_id bigint, p_branch_id bigint, p_code text, p_add boolean)
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
