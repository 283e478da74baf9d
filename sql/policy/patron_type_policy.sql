-- The Edit Policy screen again, with the membership policy now a reference (membershipPolicyId).
-- A patron type policy as the REST API shows it: its patron type's code as the policy name, and the
-- institution's currency beside the money limits.
create or replace function ps.patron_type_policy_api(pp ps.patron_type_policy) returns jsonb
    language sql stable
    as $$
        select ps.api(to_jsonb(pp)) || jsonb_build_object(
            'policyName', (select t.code from ps.patron_type t where t.patron_type_id = pp.patron_type_id),
            'currency', ps.institution_currency(pp.institution_id))
    $$;
comment on function ps.patron_type_policy_api(ps.patron_type_policy) is
    'A patron type policy as the REST API shows it: camelCase limits (null: No Limit), the patron type code as policyName, and the currency of the money limits.';

create or replace function ps.save_patron_type_policy(p_patron_type_id bigint, p jsonb) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_type ps.patron_type;
        v_errors text[];
        v_current jsonb;
        v_merged jsonb;
    begin
        select * into v_type from ps.patron_type where patron_type_id = p_patron_type_id;
        if not found then
            raise exception using errcode = 'PS404', message = 'patron_type_not_found', detail = 'No such patron type.';
        end if;
        if v_type.deleted_at is not null then
            raise exception using errcode = 'PS409', message = 'patron_type_deleted',
                detail = 'Patron types need to be in Institution Borrower Categories before you can create a policy.';
        end if;
        v_errors := ps.json_field_errors(p, '{"maxLoanValueMinor": "money?", "maxItemsOverdue": "count?", "maxDaysOverdue": "count?",
            "maxClaimedLost": "count?", "maxClaimedReturned": "count?", "maxClaimedNeverHad": "count?", "maxOutstandingBilledMinor": "money?",
            "maxWaivedMinor": "money?", "maxSuspensionMinutes": "minutes?", "usePatronSuppliedEmail": "boolean",
            "blockRenewalWhenExceeded": "boolean", "membershipPolicyId": "positive?", "billNotificationPolicyId": "positive?",
            "suspensionNotificationPolicyId": "positive?", "accountOverviewTemplateId": "positive?", "replyToFirst": "text?", "replyToSecond": "text?"}');
        if p ? 'replyToFirst' and p->>'replyToFirst' not in ('institution', 'branch', 'patron_type') then
            v_errors := v_errors || 'replyToFirst:invalid'::text;
        end if;
        if p ? 'replyToSecond' and p->>'replyToSecond' not in ('institution', 'branch') then
            v_errors := v_errors || 'replyToSecond:invalid'::text;
        end if;
        if jsonb_typeof(p->'membershipPolicyId') = 'number' and not exists (select 1 from ps.membership_policy mp
            where mp.membership_policy_id = (p->>'membershipPolicyId')::numeric and mp.institution_id = v_type.institution_id) then
            v_errors := v_errors || 'membershipPolicyId:not_found'::text;
        end if;
        if jsonb_typeof(p->'billNotificationPolicyId') = 'number' and not exists (select 1 from ps.notification_policy n
            where n.notification_policy_id = (p->>'billNotificationPolicyId')::numeric and n.institution_id = v_type.institution_id and n.kind = 'bill') then
            v_errors := v_errors || 'billNotificationPolicyId:not_found'::text;
        end if;
        if jsonb_typeof(p->'suspensionNotificationPolicyId') = 'number' and not exists (select 1 from ps.notification_policy n
            where n.notification_policy_id = (p->>'suspensionNotificationPolicyId')::numeric and n.institution_id = v_type.institution_id
              and n.kind = 'suspension') then
            v_errors := v_errors || 'suspensionNotificationPolicyId:not_found'::text;
        end if;
        if jsonb_typeof(p->'accountOverviewTemplateId') = 'number' and not exists (select 1 from ps.notice_template t
            where t.template_id = (p->>'accountOverviewTemplateId')::numeric and t.kind = 'account_overview'
              and (t.institution_id = v_type.institution_id or t.institution_id is null)) then
            v_errors := v_errors || 'accountOverviewTemplateId:not_found'::text;
        end if;
        select ps.api(to_jsonb(pp)) into v_current from ps.patron_type_policy pp where pp.patron_type_id = p_patron_type_id;
        v_merged := coalesce(v_current, '{}') || p;
        if v_merged->>'replyToFirst' = 'patron_type' and coalesce(v_merged->>'replyToSecond', '') = '' then
            v_errors := v_errors || 'replyToSecond:required'::text;
        end if;
        perform ps.raise_field_errors(v_errors, 'The policy has invalid fields.');
        if v_current is null then
            insert into ps.patron_type_policy (institution_id, patron_type_id) values (v_type.institution_id, p_patron_type_id);
        end if;
        update ps.patron_type_policy set
            use_patron_supplied_email = coalesce((v_merged->>'usePatronSuppliedEmail')::boolean, true),
            membership_policy_id = (v_merged->>'membershipPolicyId')::numeric::bigint,
            max_loan_value_minor = (v_merged->>'maxLoanValueMinor')::numeric::bigint,
            block_renewal_when_exceeded = coalesce((v_merged->>'blockRenewalWhenExceeded')::boolean, true),
            max_items_overdue = (v_merged->>'maxItemsOverdue')::numeric::integer,
            max_days_overdue = (v_merged->>'maxDaysOverdue')::numeric::integer,
            max_claimed_lost = (v_merged->>'maxClaimedLost')::numeric::integer,
            max_claimed_returned = (v_merged->>'maxClaimedReturned')::numeric::integer,
            max_claimed_never_had = (v_merged->>'maxClaimedNeverHad')::numeric::integer,
            bill_notification_policy_id = (v_merged->>'billNotificationPolicyId')::numeric::bigint,
            max_outstanding_billed_minor = (v_merged->>'maxOutstandingBilledMinor')::numeric::bigint,
            max_waived_minor = (v_merged->>'maxWaivedMinor')::numeric::bigint,
            suspension_notification_policy_id = (v_merged->>'suspensionNotificationPolicyId')::numeric::bigint,
            max_suspension_minutes = (v_merged->>'maxSuspensionMinutes')::numeric::integer,
            account_overview_template_id = (v_merged->>'accountOverviewTemplateId')::numeric::bigint,
            reply_to_first = v_merged->>'replyToFirst',
            reply_to_second = v_merged->>'replyToSecond'
        where patron_type_id = p_patron_type_id;
        return (select ps.patron_type_policy_api(pp) from ps.patron_type_policy pp where pp.patron_type_id = p_patron_type_id);
    end $$;
comment on function ps.save_patron_type_policy(bigint, jsonb) is
    'Creates or edits the patron type policy of a patron type from camelCase JSON (null: No Limit), validating all fields; Last Modified and history are kept by triggers.';

create or replace function ps.patron_type_policy_audit() returns trigger
    language plpgsql
    as $$
    begin
        if tg_op = 'UPDATE' then new.last_modified := now(); end if;
        insert into ps.patron_type_policy_change (institution_id, patron_type_id, old_value, new_value, changed_by)
        values (coalesce(new.institution_id, old.institution_id), coalesce(new.patron_type_id, old.patron_type_id),
                case when tg_op <> 'INSERT' then to_jsonb(old) end, case when tg_op <> 'DELETE' then to_jsonb(new) end,
                coalesce(nullif(ps.request_setting('ps.actor'), ''), session_user));
        return coalesce(new, old);
    end $$;
create trigger patron_type_policy_audit before insert or update or delete on ps.patron_type_policy
    for each row execute function ps.patron_type_policy_audit();
comment on function ps.patron_type_policy_audit() is
    'Trigger on ps.patron_type_policy: sets Last Modified and records every insert, update and delete in ps.patron_type_policy_change.';

-- Policy list with the WMS status of each patron type / policy pair.
create or replace view ps.patron_type_policy_status with (security_invoker = true) as
    select coalesce(t.institution_id, p.institution_id) as institution_id,
           coalesce(t.patron_type_id, p.patron_type_id) as patron_type_id,
           t.code as policy_name,
           case when p.patron_type_id is null then 'category_without_policy'
                when t.deleted_at is not null then 'policy_without_category'
                else 'none' end as status,
           p.last_modified
    from ps.patron_type t
    left join ps.patron_type_policy p on p.institution_id = t.institution_id and p.patron_type_id = t.patron_type_id
    where t.deleted_at is null or p.patron_type_id is not null;
comment on view ps.patron_type_policy_status is
    'Patron Type Policies screen: status none (policy and borrower category both exist), category_without_policy (configured in Institution Borrower Categories, no circulation policy) or policy_without_category (the category was deleted), with Last Modified.';
