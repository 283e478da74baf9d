-- The "Submit Change Request" button: one call, one transaction, all or nothing. The steps are in
-- account_changes.sql; this function decides, field by field, what each option says.
create or replace function ps.submit_change_request(p_changes jsonb, p_idempotency_key text) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_patron patron;
        v_patron_id bigint := nullif(ps.request_setting('ps.patron_id'), '')::bigint;
        v_actor text := coalesce(nullif(ps.request_setting('ps.actor'), ''), 'patron');
        v_options jsonb;
        v_previous jsonb;
        v_values jsonb;
        v_outcomes jsonb := '{}';
        v_field text;
        v_input_key text;
        v_mode text;
        v_new jsonb;
        v_request_id bigint;
        v_pending text[] := '{}';
        v_accepted int := 0;
        v_response jsonb;
    begin
        if v_patron_id is null then
            raise exception using errcode = 'PS401', message = 'sign_in_required', detail = 'Sign in first.';
        end if;
        -- Serialises submissions (and staff decisions) for this patron: a resend racing its first try waits
        -- here, then finds the first answer below instead of colliding with it.
        select * into v_patron from patron where patron_id = v_patron_id and deleted_at is null for update;
        if p_idempotency_key is not null then
            select response into v_previous from change_submission
            where patron_id = v_patron_id and idempotency_key = p_idempotency_key;
            if found then return v_previous; end if;
        end if;
        v_options := pac_options(v_patron.registered_branch_id, v_patron_id);
        if not coalesce((v_options->>'patronCanRequestUpdates')::boolean, false) then
            raise exception using errcode = 'PS403', message = 'patron_code_not_allowed',
                detail = 'Your patron code may not request account updates online.';
        end if;
        v_values := validate_account_changes(p_changes, (v_options #>> '{sources,pac.phone_validation,value}')::boolean);

        -- Per field: refused (not allowed), applied (direct) or pending verification (request).
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
            v_request_id := queue_change_fields(v_patron, v_pending, v_values, v_actor);
            perform place_verify_block(v_patron, v_request_id, v_actor);
            perform queue_staff_change_email(v_patron, v_request_id, v_pending, v_options);
        end if;
        if v_accepted > 0 and coalesce((v_options->>'confirmationEmail')::boolean, false) then
            perform queue_change_confirmation(v_patron_id, v_outcomes);
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
