-- Notices caused by events, queued in the transaction that causes them: bills posted and suspensions
-- imposed or lifted, as the patron type policy's Bill and Suspension Notification Policies select.
-- Security definer: the policy is the patron's home institution's, whoever posts the bill.

-- PL/pgSQL, which keeps its plan: a security definer SQL function is planned again in every statement,
-- here every bill posted and every suspension. None: a row of nulls.
create or replace function ps.notification_policy_of(p_patron_id bigint, p_kind text) returns ps.notification_policy
    language plpgsql stable security definer set search_path = ps, pg_temp
    as $$
    declare
        v_policy notification_policy;
    begin
        select n.* into v_policy from patron p
        join patron_type_policy pp on pp.institution_id = p.institution_id and pp.patron_type_id = p.patron_type_id
        join notification_policy n on n.notification_policy_id =
            case p_kind when 'bill' then pp.bill_notification_policy_id else pp.suspension_notification_policy_id end
        where p.patron_id = p_patron_id and p.deleted_at is null;
        return v_policy;
    end $$;
comment on function ps.notification_policy_of(bigint, text) is
    'The bill or suspension notification policy that applies to a patron: the one their home institution''s patron type policy selects (none: null).';

create or replace function ps.bill_posted_notice() returns trigger
    language plpgsql security definer set search_path = ps, pg_temp
    as $$
    declare
        v_policy notification_policy;
    begin
        if new.posted_at is not null and (tg_op = 'INSERT' or old.posted_at is null) then
            v_policy := notification_policy_of(new.patron_id, 'bill');
            if v_policy.on_posting and (cardinality(v_policy.bill_kinds) = 0 or new.kind = any (v_policy.bill_kinds)) then
                perform enqueue_notice(new.patron_id, 'bill_notice',
                    jsonb_build_object('billId', new.bill_id, 'reminderDays', null), 'bill:' || new.bill_id || ':posted', null, false, null);
            end if;
        end if;
        return null;
    end $$;
comment on function ps.bill_posted_notice() is 'Queues the bill notice when a bill is posted and the patron''s Bill Notification Policy covers its kind and notifies on posting.';
create trigger bill_posted_notice after insert or update of posted_at on ps.bill
    for each row execute function ps.bill_posted_notice();

create or replace function ps.suspension_notice() returns trigger
    language plpgsql security definer set search_path = ps, pg_temp
    as $$
    declare
        v_policy notification_policy := notification_policy_of(new.patron_id, 'suspension');
    begin
        if tg_op = 'INSERT' and v_policy.on_suspend then
            perform enqueue_notice(new.patron_id, 'suspension_notice', jsonb_build_object('suspensionId', new.suspension_id, 'lifted', false),
                'suspension:' || new.suspension_id || ':imposed', null, false, null);
        elsif tg_op = 'UPDATE' and old.lifted_at is null and new.lifted_at is not null and v_policy.on_lift then
            perform enqueue_notice(new.patron_id, 'suspension_notice', jsonb_build_object('suspensionId', new.suspension_id, 'lifted', true),
                'suspension:' || new.suspension_id || ':lifted', null, false, null);
        end if;
        return null;
    end $$;
comment on function ps.suspension_notice() is 'Queues the suspension notice when a patron is suspended (on_suspend) or a suspension is lifted (on_lift), per their Suspension Notification Policy.';
create trigger suspension_notice after insert or update of lifted_at on ps.suspension
    for each row execute function ps.suspension_notice();
