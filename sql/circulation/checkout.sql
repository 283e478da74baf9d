-- Checkout and renewal: the decision and the loan in one transaction, serialised per patron
-- Decides on the alerts of a prospective loan: blocking alerts need a supervisor's override with a
-- comment; the others need the desk's acknowledgement. Raises with a stable code naming what is missing.
create or replace function ps.clear_alerts(p_patron_id bigint, p_branch_id bigint, p_action text, p_extra_value bigint,
                                p_override_comment text, p_acknowledged text[])
    returns table (overridden text[], acknowledged text[])
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_alert record;
        v_need_override text[] := '{}';
        v_need_ack text[] := '{}';
        v_role text := ps.current_staff_role();
        v_may_override boolean := ps.current_staff_role() in ('circulation_supervisor', 'library_admin', 'consortium_admin');
    begin
        for v_alert in
            select e.condition,
                   case when e.condition = 'max_loan_value' then coalesce(e.current_value + p_extra_value > e.limit_value, false)
                        else e.exceeded end as exceeded,
                   e.blocks or (e.condition = 'max_loan_value' and coalesce(e.current_value + p_extra_value > e.limit_value, false)
                        and (select coalesce(block_renewal_when_exceeded, true) from patron_type_policy pp, patron p
                             where p.patron_id = p_patron_id and pp.institution_id = e.policy_institution_id
                               and pp.patron_type_id = p.patron_type_id)) as blocks
            from ps.eligibility(p_patron_id, p_branch_id, p_action) e
        loop
            continue when not v_alert.exceeded;
            if v_alert.blocks then v_need_override := v_need_override || v_alert.condition::text;
            elsif not (v_alert.condition = any (coalesce(p_acknowledged, '{}'))) then v_need_ack := v_need_ack || v_alert.condition::text;
            end if;
        end loop;
        if cardinality(v_need_override) > 0 and not (v_may_override and length(trim(coalesce(p_override_comment, ''))) > 0) then
            raise exception using errcode = 'PS403',
                message = case when v_may_override then 'override_comment_required' else 'override_required' end,
                detail = format('Blocked by %s; %s', array_to_string(v_need_override, ', '),
                    case when v_may_override then 'give an override comment.' else 'a circulation supervisor must override (the ' || v_role || ' role may only acknowledge).' end),
                hint = array_to_string(array(select a || ':override_required' from unnest(v_need_override) a), ',');
        end if;
        if cardinality(v_need_ack) > 0 then
            raise exception using errcode = 'PS409', message = 'acknowledgement_required',
                detail = format('Acknowledge: %s.', array_to_string(v_need_ack, ', ')),
                hint = array_to_string(array(select a || ':acknowledgement_required' from unnest(v_need_ack) a), ',');
        end if;
        return query select v_need_override, coalesce(p_acknowledged, '{}');
    end $$;
comment on function ps.clear_alerts(bigint, bigint, text, bigint, text, text[]) is
    'Decides a prospective checkout or renewal''s alerts: blocking ones need a supervisor''s override with a comment (PS403), the others an acknowledgement (PS409).';

create or replace function ps.checkout(p_patron_id bigint, p_item_barcode text, p_branch_id bigint, p_due_at timestamptz,
                            p_override_comment text, p_acknowledged text[])
    returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_item item;
        v_branch branch;
        v_cleared record;
        v_loan loan;
        v_past_due boolean;
    begin
        if ps.current_staff_role() not in ('circulation_supervisor', 'circulation_staff', 'library_admin', 'consortium_admin') then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Circulation roles check out.';
        end if;
        select * into v_branch from branch where branch_id = p_branch_id;
        if v_branch.branch_id is null or not ps.can_see_institution(v_branch.institution_id) then
            raise exception using errcode = 'PS404', message = 'branch_not_found', detail = 'No such branch.';
        end if;
        -- One checkout at a time per patron: concurrent desks cannot together exceed a limit.
        perform 1 from patron where patron_id = p_patron_id for update;
        -- The item's row lock serialises desks lending the same item: the second sees the first's loan.
        select * into v_item from item where barcode = p_item_barcode and institution_id = v_branch.institution_id for update;
        if v_item.item_id is null then
            raise exception using errcode = 'PS404', message = 'item_not_found', detail = 'No such item here.';
        end if;
        if exists (select 1 from loan where item_id = v_item.item_id and state = 'active') then
            raise exception using errcode = 'PS409', message = 'item_already_on_loan', detail = 'That item is already on loan.';
        end if;
        if v_item.status <> 'available' then
            raise exception using errcode = 'PS409', message = 'item_not_available', detail = format('That item is %s.', replace(v_item.status, '_', ' '));
        end if;
        select * into v_cleared from clear_alerts(p_patron_id, p_branch_id, 'checkout', coalesce(v_item.cost_minor, 0),
            p_override_comment, p_acknowledged);
        v_past_due := ps.check_due_date(p_due_at);
        insert into loan (institution_id, item_id, patron_id, checkout_branch_id, due_at, override_comment, overridden_by, acknowledged_alerts)
        values (v_item.institution_id, v_item.item_id, p_patron_id, p_branch_id,
            coalesce(p_due_at, now() + make_interval(days => ps.loan_period_days(p_branch_id))),
            case when cardinality(v_cleared.overridden) > 0 then p_override_comment end,
            case when cardinality(v_cleared.overridden) > 0 or v_past_due then ps.request_setting('ps.actor') end,
            v_cleared.acknowledged || case when v_past_due then array['past_due_date'] else '{}' end)
        returning * into v_loan;
        update patron set last_activity_at = now() where patron_id = p_patron_id;
        return ps.api(to_jsonb(v_loan)) || jsonb_build_object('overriddenAlerts', to_jsonb(v_cleared.overridden));
    end $$;
comment on function ps.checkout(bigint, text, bigint, timestamptz, text, text[]) is
    'Checks an item out to a patron at a branch (due after the branch''s loan period unless a due date is given): evaluates every condition under the home institution''s policy (the new item''s cost included in the value on loan), requires a supervisor override with a comment for blocking alerts and an acknowledgement for the others, and writes the loan, in one transaction serialised per patron.';

-- A due date given at checkout or renewal lies in the future, at most ps.max_loan_days() away. A past one
-- (back-dating a loan recorded late) is a supervisor's to give, and the loan records it.
create or replace function ps.check_due_date(p_due_at timestamptz) returns boolean
    language plpgsql stable
    as $$
    begin
        if p_due_at is null then
            return false;
        end if;
        if p_due_at > now() + make_interval(days => ps.max_loan_days()) then
            raise exception using errcode = 'PS422', message = 'validation_failed',
                detail = format('A due date at most %s days ahead.', ps.max_loan_days()), hint = 'dueAt:invalid';
        end if;
        if p_due_at > now() then
            return false;
        end if;
        if coalesce(ps.current_staff_role(), '') not in ('circulation_supervisor', 'library_admin', 'consortium_admin') then
            raise exception using errcode = 'PS422', message = 'validation_failed',
                detail = 'The due date has passed; only a supervisor may give a past due date.', hint = 'dueAt:in_past';
        end if;
        return true;
    end $$;
comment on function ps.check_due_date(timestamptz) is
    'Checks a due date given at checkout or renewal: within ps.max_loan_days(), and in the future unless a supervisor gives it; true when it is a (supervisor''s) past due date, which the loan records as past_due_date.';
