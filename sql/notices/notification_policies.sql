-- The Notification Policies screen: bill and suspension notifications of an institution.
create or replace function ps.save_notification_policy(p_policy_id bigint, p jsonb) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_errors text[];
        v_current jsonb;
        v_row ps.notification_policy;
    begin
        v_errors := ps.json_field_errors(p - 'billKinds' - 'reminderDays', '{"institutionId": "positive", "kind": "text", "name": "text",
            "onPosting": "boolean", "onSuspend": "boolean", "onLift": "boolean"}');
        if p ? 'billKinds' and (jsonb_typeof(p->'billKinds') <> 'array' or exists (select 1 from jsonb_array_elements(p->'billKinds') k
                where jsonb_typeof(k) <> 'string' or k #>> '{}' not in ('overdue_fine', 'lost_item', 'membership_fee', 'other'))) then
            v_errors := v_errors || 'billKinds:invalid'::text;
        end if;
        if p ? 'reminderDays' and (jsonb_typeof(p->'reminderDays') <> 'array' or jsonb_array_length(p->'reminderDays') > 5
                or exists (select 1 from jsonb_array_elements(p->'reminderDays') d
                           where jsonb_typeof(d) <> 'number' or (d #>> '{}')::numeric not in (select generate_series(1, 365)))) then
            v_errors := v_errors || 'reminderDays:invalid'::text;
        end if;
        if p_policy_id is not null then
            select ps.api(to_jsonb(n)) into v_current from ps.notification_policy n where notification_policy_id = p_policy_id;
            if v_current is null then
                return null;
            end if;
            v_errors := v_errors || array(select f || ':read_only' from unnest(array['institutionId', 'kind']) f where p ? f);
        else
            v_errors := v_errors || array(select f || ':required' from unnest(array['kind', 'name']) f where not p ? f);
            if jsonb_typeof(p->'kind') = 'string' and p->>'kind' not in ('bill', 'suspension') then
                v_errors := v_errors || 'kind:invalid'::text;
            end if;
        end if;
        if jsonb_typeof(p->'name') = 'string' and length(trim(p->>'name')) = 0 then
            v_errors := v_errors || 'name:required'::text;
        end if;
        perform ps.raise_field_errors(v_errors, 'The notification policy has invalid fields.');
        v_current := coalesce(v_current, '{}') || p;
        if p_policy_id is null then
            insert into ps.notification_policy (institution_id, kind, name)
            values (ps.settings_institution((p->>'institutionId')::numeric::bigint), p->>'kind', trim(p->>'name'))
            returning notification_policy_id into p_policy_id;
        end if;
        update ps.notification_policy set name = trim(v_current->>'name'),
            bill_kinds = coalesce(array(select jsonb_array_elements_text(v_current->'billKinds')), '{}'),
            reminder_days = coalesce(array(select distinct (jsonb_array_elements_text(v_current->'reminderDays'))::integer order by 1), '{}'),
            on_posting = coalesce((v_current->>'onPosting')::boolean, true),
            on_suspend = coalesce((v_current->>'onSuspend')::boolean, true),
            on_lift = coalesce((v_current->>'onLift')::boolean, false),
            updated_at = now()
        where notification_policy_id = p_policy_id returning * into v_row;
        return ps.api(to_jsonb(v_row));
    end $$;
comment on function ps.save_notification_policy(bigint, jsonb) is
    'Creates (null id) or edits a bill or suspension notification policy: name, bill kinds (empty: all), on posting, reminder days after posting, on suspend, on lift.';

create or replace function ps.notification_policies() returns jsonb
    language sql stable
    as $$ select coalesce(jsonb_agg(ps.api(to_jsonb(n)) order by n.institution_id, n.kind, n.name), '[]') from ps.notification_policy n $$;
comment on function ps.notification_policies() is 'The notification policies the caller can see.';

create or replace function ps.delete_notification_policy(p_policy_id bigint) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_row ps.notification_policy;
    begin
        select * into v_row from ps.notification_policy where notification_policy_id = p_policy_id;
        if not found then
            return null;
        end if;
        if exists (select 1 from ps.patron_type_policy pp
                   where p_policy_id in (pp.bill_notification_policy_id, pp.suspension_notification_policy_id)) then
            raise exception using errcode = 'PS409', message = 'notification_policy_in_use',
                detail = 'A patron type policy selects this notification policy; choose another there first.';
        end if;
        delete from ps.notification_policy where notification_policy_id = p_policy_id;
        return jsonb_build_object('deleted', p_policy_id);
    end $$;
comment on function ps.delete_notification_policy(bigint) is 'Deletes a notification policy no patron type policy selects (409 notification_policy_in_use otherwise).';
