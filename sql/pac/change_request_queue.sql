create or replace function ps.decide_change_field(p_request_id bigint, p_field text, p_decision text, p_reason text) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_request ps.change_request;
        v_field ps.change_request_field;
        v_actor text := coalesce(nullif(ps.request_setting('ps.actor'), ''), session_user);
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

-- Staff: the queue, per-field decisions, the block checkout reads
create or replace view ps.change_request_queue with (security_invoker = true) as
    select r.request_id, r.institution_id, r.patron_id, p.barcode, p.first_name, p.last_name, r.branch_id, r.submitted_at,
           now() - r.submitted_at as age,
           (select jsonb_agg(jsonb_build_object('field', f.field, 'oldValue', f.old_value, 'newValue', f.new_value, 'state', f.state)
                   order by f.field)
            from ps.change_request_field f where f.institution_id = r.institution_id and f.request_id = r.request_id) as fields
    from ps.change_request r
    join ps.patron p on p.institution_id = r.institution_id and p.patron_id = r.patron_id
    where r.status = 'pending';
comment on view ps.change_request_queue is 'Pending PAC change requests of the caller''s institution, with old and new value and state per field.';
grant select on ps.change_request_queue to patron_report;
