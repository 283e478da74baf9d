-- A membership policy as the API shows it, with the currency of its fee.
create or replace function ps.membership_policy_api(mp ps.membership_policy) returns jsonb
    language sql stable
    as $$ select ps.api(to_jsonb(mp)) || jsonb_build_object('currency', ps.institution_currency(mp.institution_id)) $$;
comment on function ps.membership_policy_api(ps.membership_policy) is
    'A membership policy as the REST API shows it: camelCase fields and the currency of its fee (minor units).';

create or replace function ps.save_membership_policy(p_policy_id bigint, p jsonb) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_errors text[];
        v_current jsonb;
        v_row ps.membership_policy;
    begin
        v_errors := ps.json_field_errors(p, '{"institutionId": "positive", "name": "text", "feeMinor": "money", "billReason": "text",
            "periodDays": "positive", "reminderDays": "count?"}');
        if p_policy_id is not null then
            select ps.api(to_jsonb(mp)) into v_current from ps.membership_policy mp where membership_policy_id = p_policy_id;
            if v_current is null then
                return null;
            end if;
            if p ? 'institutionId' then v_errors := v_errors || 'institutionId:read_only'::text; end if;
        else
            v_errors := v_errors || array(select f || ':required' from unnest(array['name', 'feeMinor', 'periodDays']) f where not p ? f);
        end if;
        if p ? 'name' and jsonb_typeof(p->'name') = 'string' and length(trim(p->>'name')) = 0 then
            v_errors := v_errors || 'name:required'::text;
        end if;
        perform ps.raise_field_errors(v_errors, 'The membership policy has invalid fields.');
        v_current := coalesce(v_current, '{}') || p;
        if p_policy_id is null then
            insert into ps.membership_policy (institution_id, name, fee_minor, bill_reason, period_days, reminder_days)
            values (ps.settings_institution((p->>'institutionId')::numeric::bigint), v_current->>'name', (v_current->>'feeMinor')::numeric::bigint,
                    coalesce(v_current->>'billReason', 'Membership fee'), (v_current->>'periodDays')::numeric::integer, (v_current->>'reminderDays')::numeric::integer)
            returning * into v_row;
        else
            update ps.membership_policy set name = v_current->>'name', fee_minor = (v_current->>'feeMinor')::numeric::bigint,
                bill_reason = v_current->>'billReason', period_days = (v_current->>'periodDays')::numeric::integer,
                reminder_days = (v_current->>'reminderDays')::numeric::integer
            where membership_policy_id = p_policy_id returning * into v_row;
        end if;
        return ps.membership_policy_api(v_row);
    end $$;
comment on function ps.save_membership_policy(bigint, jsonb) is
    'Creates (null id) or edits a membership policy: name, fee, bill reason, period in days (at least 1) and reminder days before expiry.';
