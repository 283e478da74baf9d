-- What a PAC shows: the options of the branch in scope
create or replace function ps.pac_options(p_branch_id bigint, p_patron_id bigint) returns jsonb
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
