-- The "Submit Change Request" button: one call, one transaction, all or nothing.
create or replace function ps.submit_change_request(p_changes jsonb, p_idempotency_key text) returns jsonb
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
