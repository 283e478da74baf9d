create or replace function ps.update_notice_optouts(p jsonb) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_patron patron;
        v_patron_id bigint := nullif(ps.request_setting('ps.patron_id'), '')::bigint;
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
