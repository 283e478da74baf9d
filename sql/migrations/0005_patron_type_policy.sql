-- Patron type policies (WMS) and the circulation data their limits are computed from: items with their
-- cost (876 ‡c), loans and claims, bills with payments and waivers, accruing fines, loan limit policies,
-- suspensions. Money is integer minor units of the owning institution's currency.

create table ps.item (
    institution_id bigint not null,
    item_id bigint generated always as identity,
    branch_id bigint not null,
    barcode text not null unique check (barcode ~ '^[A-Za-z0-9-]{3,40}$'),
    title text not null default '',
    cost_minor bigint check (cost_minor is null or cost_minor >= 0),
    primary key (institution_id, item_id),
    unique (item_id),
    foreign key (institution_id, branch_id) references ps.branch (institution_id, branch_id) on update cascade
);
comment on table ps.item is 'Items with their owning branch and optional cost (local holdings record 876 ‡c, minor units); an item without a cost adds nothing to the value on loan.';
comment on column ps.item.cost_minor is 'Item cost from the LHR 876 ‡c in minor units; null when the record has none.';

create table ps.loan (
    institution_id bigint not null,
    loan_id bigint generated always as identity,
    item_id bigint not null,
    patron_id bigint not null references ps.patron (patron_id),
    checkout_branch_id bigint not null references ps.branch (branch_id),
    checked_out_at timestamptz not null default now(),
    due_at timestamptz not null,
    state text not null default 'active' check (state in ('active', 'returned', 'claimed_lost', 'claimed_returned', 'claimed_never_had')),
    returned_at timestamptz,
    renewals integer not null default 0,
    override_comment text,
    overridden_by text,
    acknowledged_alerts text[] not null default '{}',
    primary key (institution_id, loan_id),
    unique (loan_id),
    foreign key (institution_id, item_id) references ps.item (institution_id, item_id)
);
create index loan_patron_open on ps.loan (patron_id) where state <> 'returned';
create unique index loan_item_active on ps.loan (item_id) where state = 'active';
comment on table ps.loan is 'Loans, keyed by the lending institution; states active, returned and the three claims.';

create table ps.bill (
    institution_id bigint not null,
    bill_id bigint generated always as identity,
    patron_id bigint not null references ps.patron (patron_id),
    loan_id bigint references ps.loan (loan_id),
    kind text not null check (kind in ('overdue_fine', 'lost_item', 'membership_fee', 'other')),
    amount_minor bigint not null check (amount_minor > 0),
    paid_minor bigint not null default 0 check (paid_minor >= 0),
    waived_minor bigint not null default 0 check (waived_minor >= 0),
    posted_at timestamptz,
    state text not null default 'outstanding' check (state in ('outstanding', 'paid', 'waived', 'cancelled')),
    created_at timestamptz not null default now(),
    check (paid_minor + waived_minor <= amount_minor),
    primary key (institution_id, bill_id),
    unique (bill_id)
);
create index bill_patron on ps.bill (patron_id) where state = 'outstanding';
comment on table ps.bill is 'Bills owed to an institution; only posted bills (posted_at set) count as billed. Partial payments and waivers reduce the balance.';

create table ps.accruing_fines_policy (
    institution_id bigint primary key references ps.library on update cascade,
    daily_fine_minor bigint not null default 0 check (daily_fine_minor >= 0),
    max_fine_minor bigint check (max_fine_minor is null or max_fine_minor >= 0),
    counts_toward_billed_limit boolean not null default false
);
comment on table ps.accruing_fines_policy is 'The institution''s fine rate for overdue items, and whether accruing (unposted) fines count toward the outstanding billed limit.';

create table ps.loan_limit_policy (
    institution_id bigint not null,
    patron_type_id bigint not null references ps.patron_type (patron_type_id),
    verified_loan_value_limit_minor bigint check (verified_loan_value_limit_minor is null or verified_loan_value_limit_minor >= 0),
    primary key (institution_id, patron_type_id)
);
comment on table ps.loan_limit_policy is 'Loan Limit Policy per institution and patron type, carrying the Verified Loan Value Limit.';

create table ps.patron_type_policy (
    institution_id bigint not null,
    patron_type_id bigint not null references ps.patron_type (patron_type_id),
    use_patron_supplied_email boolean not null default true,
    membership_policy text,
    max_loan_value_minor bigint check (max_loan_value_minor is null or max_loan_value_minor >= 0),
    block_renewal_when_exceeded boolean not null default true,
    max_items_overdue integer check (max_items_overdue is null or max_items_overdue >= 0),
    max_days_overdue integer check (max_days_overdue is null or max_days_overdue >= 0),
    max_claimed_lost integer check (max_claimed_lost is null or max_claimed_lost >= 0),
    max_claimed_returned integer check (max_claimed_returned is null or max_claimed_returned >= 0),
    max_claimed_never_had integer check (max_claimed_never_had is null or max_claimed_never_had >= 0),
    bill_notification_policy text,
    max_outstanding_billed_minor bigint check (max_outstanding_billed_minor is null or max_outstanding_billed_minor >= 0),
    max_waived_minor bigint check (max_waived_minor is null or max_waived_minor >= 0),
    suspension_notification_policy text,
    max_suspension_minutes integer check (max_suspension_minutes is null or max_suspension_minutes >= 0),
    account_overview_template text,
    reply_to_first text check (reply_to_first is null or reply_to_first in ('institution', 'branch', 'patron_type')),
    reply_to_second text check (reply_to_second is null or reply_to_second in ('institution', 'branch')),
    last_modified timestamptz not null default now(),
    primary key (institution_id, patron_type_id),
    check (reply_to_first is distinct from 'patron_type' or reply_to_second is not null)
);
comment on table ps.patron_type_policy is
    'WMS Patron Type Policy per institution and patron type. Every limit null means No Limit; max_suspension_minutes 0 means the type is never suspended; block_renewal_when_exceeded (default on) makes exceeded limits block renewal as well as checkout.';

create table ps.patron_type_policy_change (
    change_id bigint generated always as identity primary key,
    institution_id bigint not null,
    patron_type_id bigint not null,
    old_value jsonb,
    new_value jsonb,
    changed_at timestamptz not null default now(),
    changed_by text not null
);
comment on table ps.patron_type_policy_change is 'Every change to a patron type policy: who, when, old and new row.';

create function ps.patron_type_policy_audit() returns trigger
    language plpgsql
    as $$
    begin
        if tg_op = 'UPDATE' then new.last_modified := now(); end if;
        insert into ps.patron_type_policy_change (institution_id, patron_type_id, old_value, new_value, changed_by)
        values (coalesce(new.institution_id, old.institution_id), coalesce(new.patron_type_id, old.patron_type_id),
                case when tg_op <> 'INSERT' then to_jsonb(old) end, case when tg_op <> 'DELETE' then to_jsonb(new) end,
                coalesce(nullif(current_setting('ps.actor', true), ''), session_user));
        return coalesce(new, old);
    end $$;
create trigger patron_type_policy_audit before insert or update or delete on ps.patron_type_policy
    for each row execute function ps.patron_type_policy_audit();

create table ps.suspension (
    institution_id bigint not null,
    suspension_id bigint generated always as identity,
    patron_id bigint not null references ps.patron (patron_id),
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    reason text not null default '',
    created_by text not null,
    check (ends_at > starts_at),
    primary key (institution_id, suspension_id)
);
comment on table ps.suspension is 'Suspensions of a patron; cumulative (a new one starts when the current one ends).';

-- Policy list with the WMS status of each patron type / policy pair.
create view ps.patron_type_policy_status with (security_invoker = true) as
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

do $$
declare t text;
begin
    foreach t in array array['item', 'loan', 'bill', 'accruing_fines_policy', 'loan_limit_policy', 'patron_type_policy',
                             'patron_type_policy_change', 'suspension'] loop
        execute format('alter table ps.%I enable row level security', t);
        execute format('alter table ps.%I force row level security', t);
        execute format('create policy tenant_read on ps.%I for select using (ps.can_see_institution(institution_id))', t);
        execute format('create policy tenant_write on ps.%I for all using (ps.can_write_institution(institution_id)
            and ps.current_staff_role() not in (''pac'', ''patron'')) with check (ps.can_write_institution(institution_id)
            and ps.current_staff_role() not in (''pac'', ''patron''))', t);
        execute format('create policy owner_read on ps.%I for select to patron_owner using (true)', t);
    end loop;
end $$;
create policy owner_insert on ps.patron_type_policy_change for insert to patron_owner with check (true);
revoke update, delete on ps.patron_type_policy_change from patron_app;

-- ---------------------------------------------------------------------------------------------------
-- Eligibility: every condition for a patron at a branch, for checkout or renewal
-- ---------------------------------------------------------------------------------------------------

create function ps.eligibility(p_patron_id bigint, p_branch_id bigint, p_action text)
    returns table (condition text, limit_value bigint, current_value bigint, exceeded boolean, blocks boolean,
                   clearance text, policy_institution_id bigint, policy_last_modified timestamptz)
    language plpgsql stable security definer set search_path = ps, pg_temp
    as $$
    declare
        v_scope record;
        v_patron patron;
        v_policy patron_type_policy;
        v_fines accruing_fines_policy;
        v_verified bigint;
        v_tz text;
        v_blocks_renewal boolean;
        v_value_limit bigint;
    begin
        if p_action not in ('checkout', 'renewal') then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'checkout or renewal.', hint = 'action:invalid';
        end if;
        select * into v_scope from policy_scope(p_patron_id, p_branch_id);
        -- Staff see patrons of their own institution or of one sharing a circulation group.
        if not (ps.is_consortium_admin() or ps.shares_circulation_group(ps.current_institution_id(), v_scope.institution_id)) then
            raise exception using errcode = 'PS404', message = 'patron_not_found', detail = 'No such patron.';
        end if;
        select * into v_patron from patron where patron_id = p_patron_id;
        select * into v_policy from patron_type_policy where institution_id = v_scope.institution_id and patron_type_id = v_patron.patron_type_id;
        select * into v_fines from accruing_fines_policy where institution_id = v_scope.institution_id;
        select verified_loan_value_limit_minor into v_verified from loan_limit_policy
            where institution_id = v_scope.institution_id and patron_type_id = v_patron.patron_type_id;
        select time_zone into v_tz from branch where branch_id = p_branch_id;
        v_blocks_renewal := coalesce(v_policy.block_renewal_when_exceeded, true);
        v_value_limit := case when v_policy.max_loan_value_minor is null then v_verified
                              when v_verified is null then v_policy.max_loan_value_minor
                              else least(v_policy.max_loan_value_minor, v_verified) end;

        return query
        with open_loans as (
            select l.*, i.cost_minor,
                   greatest(0, (now() at time zone v_tz)::date - (l.due_at at time zone v_tz)::date) as days_overdue
            from loan l join item i on i.item_id = l.item_id
            where l.patron_id = p_patron_id and l.state <> 'returned'),
        figures as (
            select
                (select count(*) from open_loans where state = 'active' and days_overdue > 0) as items_overdue,
                (select coalesce(max(days_overdue), 0) from open_loans where state = 'active') as days_overdue,
                (select count(*) from open_loans where state = 'claimed_lost') as claimed_lost,
                (select count(*) from open_loans where state = 'claimed_returned') as claimed_returned,
                (select count(*) from open_loans where state = 'claimed_never_had') as claimed_never_had,
                (select coalesce(sum(cost_minor), 0)::bigint from open_loans where state = 'active') as loan_value,
                (select coalesce(sum(amount_minor - paid_minor - waived_minor), 0)::bigint from bill
                    where patron_id = p_patron_id and state = 'outstanding' and posted_at is not null) as posted,
                (select coalesce(sum(least(days_overdue * coalesce(v_fines.daily_fine_minor, 0),
                                          coalesce(v_fines.max_fine_minor, days_overdue * coalesce(v_fines.daily_fine_minor, 0)))), 0)::bigint
                    from open_loans where state = 'active') as accruing,
                (select coalesce(sum(waived_minor), 0)::bigint from bill where patron_id = p_patron_id) as waived)
        select x.condition, x.limit_value, x.current_value, x.exceeded, x.exceeded and (x.always or v_blocks_renewal),
               case when x.exceeded and (x.always or v_blocks_renewal) then 'override' else 'acknowledge' end,
               v_scope.institution_id, v_policy.last_modified
        from (select c.condition, c.limit_value, c.current_value, c.always,
                     coalesce(c.current_value > c.limit_value, false) or c.always as exceeded
        from figures f, lateral (values
            ('verify_patron_block', null::bigint, null::bigint, exists (select 1 from patron_block b where b.patron_id = p_patron_id
                and b.kind = 'verify_patron' and b.lifted_at is null), 'override'),
            ('suspended', null, null, exists (select 1 from suspension s where s.patron_id = p_patron_id
                and now() between s.starts_at and s.ends_at), 'override'),
            ('max_items_overdue', v_policy.max_items_overdue::bigint, f.items_overdue, false, 'override'),
            ('max_days_overdue', v_policy.max_days_overdue::bigint, f.days_overdue::bigint, false, 'override'),
            ('max_claimed_lost', v_policy.max_claimed_lost::bigint, f.claimed_lost, false, 'override'),
            ('max_claimed_returned', v_policy.max_claimed_returned::bigint, f.claimed_returned, false, 'override'),
            ('max_claimed_never_had', v_policy.max_claimed_never_had::bigint, f.claimed_never_had, false, 'override'),
            ('max_loan_value', v_value_limit, f.loan_value, false, 'acknowledge'),
            ('max_outstanding_billed', v_policy.max_outstanding_billed_minor,
                f.posted + case when coalesce(v_fines.counts_toward_billed_limit, false) then f.accruing else 0 end, false, 'override'),
            ('max_amount_waived', v_policy.max_waived_minor, f.waived, false, 'override')
        ) c (condition, limit_value, current_value, always, clearance)
        where c.limit_value is not null or c.condition in ('verify_patron_block', 'suspended')) x;
    end $$;
comment on function ps.eligibility(bigint, bigint, text) is
    'Every condition for a patron at a branch for checkout or renewal, under the patron''s home institution''s policy: limit (null: No Limit), current figure across the consortium, exceeded, whether it blocks (a Verify Patron block and a suspension always; limits when Block renewal when limit is exceeded is on), override (blocking) or acknowledge, and the policy''s institution and Last Modified. Days overdue in the branch''s time zone; the value limit is the most restrictive of the policy''s and the Verified Loan Value Limit; accruing fines count only when the Accruing Fines Policy says so.';

-- ---------------------------------------------------------------------------------------------------
-- Checkout and renewal: the decision and the loan in one transaction, serialised per patron
-- ---------------------------------------------------------------------------------------------------

-- Decides on the alerts of a prospective loan: blocking alerts need a supervisor's override with a
-- comment; the others need the desk's acknowledgement. Raises with a stable code naming what is missing.
create function ps.clear_alerts(p_patron_id bigint, p_branch_id bigint, p_action text, p_extra_value bigint,
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

create function ps.checkout(p_patron_id bigint, p_item_barcode text, p_branch_id bigint, p_due_at timestamptz,
                            p_override_comment text, p_acknowledged text[])
    returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_item item;
        v_branch branch;
        v_cleared record;
        v_loan loan;
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
        select * into v_item from item where barcode = p_item_barcode and institution_id = v_branch.institution_id;
        if v_item.item_id is null then
            raise exception using errcode = 'PS404', message = 'item_not_found', detail = 'No such item here.';
        end if;
        if exists (select 1 from loan where item_id = v_item.item_id and state = 'active') then
            raise exception using errcode = 'PS409', message = 'item_on_loan', detail = 'That item is already on loan.';
        end if;
        select * into v_cleared from clear_alerts(p_patron_id, p_branch_id, 'checkout', coalesce(v_item.cost_minor, 0),
            p_override_comment, p_acknowledged);
        insert into loan (institution_id, item_id, patron_id, checkout_branch_id, due_at, override_comment, overridden_by, acknowledged_alerts)
        values (v_item.institution_id, v_item.item_id, p_patron_id, p_branch_id, p_due_at,
            case when cardinality(v_cleared.overridden) > 0 then p_override_comment end,
            case when cardinality(v_cleared.overridden) > 0 then current_setting('ps.actor', true) end,
            v_cleared.acknowledged)
        returning * into v_loan;
        update patron set last_activity_at = now() where patron_id = p_patron_id;
        return ps.api(to_jsonb(v_loan)) || jsonb_build_object('overriddenAlerts', to_jsonb(v_cleared.overridden));
    end $$;
comment on function ps.checkout(bigint, text, bigint, timestamptz, text, text[]) is
    'Checks an item out to a patron at a branch: evaluates every condition under the home institution''s policy (the new item''s cost included in the value on loan), requires a supervisor override with a comment for blocking alerts and an acknowledgement for the others, and writes the loan, in one transaction serialised per patron.';

-- ---------------------------------------------------------------------------------------------------
-- Suspensions, notification addresses, renewals
-- ---------------------------------------------------------------------------------------------------

-- Suspends a patron for p_minutes, capped by the policy's maximum suspension period; with 0 the type
-- is never suspended. Cumulative: a new suspension starts when the current one ends.
create function ps.suspend_patron(p_patron_id bigint, p_minutes integer, p_reason text) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_patron ps.patron;
        v_max integer;
        v_start timestamptz;
        v_minutes integer;
        v_row ps.suspension;
    begin
        select * into v_patron from ps.patron where patron_id = p_patron_id for update;
        if not found then
            raise exception using errcode = 'PS404', message = 'patron_not_found', detail = 'No such patron.';
        end if;
        if p_minutes is null or p_minutes <= 0 then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'A positive number of minutes.', hint = 'minutes:invalid';
        end if;
        select max_suspension_minutes into v_max from ps.patron_type_policy
        where institution_id = v_patron.institution_id and patron_type_id = v_patron.patron_type_id;
        if v_max = 0 then
            raise exception using errcode = 'PS409', message = 'never_suspended', detail = 'This patron type is never suspended.';
        end if;
        v_minutes := least(p_minutes, coalesce(v_max, p_minutes));
        select greatest(now(), coalesce(max(ends_at), now())) into v_start from ps.suspension where patron_id = p_patron_id;
        insert into ps.suspension (institution_id, patron_id, starts_at, ends_at, reason, created_by)
        values (v_patron.institution_id, p_patron_id, v_start, v_start + make_interval(mins => v_minutes), coalesce(p_reason, ''),
            coalesce(nullif(current_setting('ps.actor', true), ''), session_user))
        returning * into v_row;
        return ps.api(to_jsonb(v_row)) || jsonb_build_object('cappedAt', v_max);
    end $$;
comment on function ps.suspend_patron(bigint, integer, text) is
    'Suspends a patron, capped by the patron type policy''s maximum suspension period (No Limit when null; 0: never suspended); cumulative.';

-- Where notifications go: with patron-supplied e-mail on, the patron-supplied address, else the
-- institution-supplied one; with no e-mail at all, print.
create function ps.notification_address(p_patron_id bigint)
    returns table (channel text, address text)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select case when a.address is null then 'print' else 'email' end, a.address
        from patron p
        left join patron_type_policy pp on pp.institution_id = p.institution_id and pp.patron_type_id = p.patron_type_id
        cross join lateral (select case when coalesce(pp.use_patron_supplied_email, true)
                                        then coalesce(p.email, p.alt_email, p.institution_email)
                                        else p.institution_email end as address) a
        where p.patron_id = p_patron_id and ps.can_see_institution(p.institution_id)
    $$;
comment on function ps.notification_address(bigint) is
    'The address a patron''s notifications go to: the patron-supplied e-mail when the policy says so, else the institution-supplied one; print when there is none.';

-- Saves a patron type policy from the Edit Policy screen (camelCase JSON; absent fields keep their
-- value, null means No Limit), validating every field together: PS422 lists all offending fields.
create function ps.save_patron_type_policy(p_patron_type_id bigint, p jsonb) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_type ps.patron_type;
        v_errors text[] := '{}';
        v_key text;
        v_column text;
        v_current jsonb;
        v_merged jsonb;
        v_limits constant text[] := array['maxLoanValueMinor', 'maxItemsOverdue', 'maxDaysOverdue', 'maxClaimedLost',
            'maxClaimedReturned', 'maxClaimedNeverHad', 'maxOutstandingBilledMinor', 'maxWaivedMinor', 'maxSuspensionMinutes'];
        v_booleans constant text[] := array['usePatronSuppliedEmail', 'blockRenewalWhenExceeded'];
        v_texts constant text[] := array['membershipPolicy', 'billNotificationPolicy', 'suspensionNotificationPolicy',
            'accountOverviewTemplate', 'replyToFirst', 'replyToSecond'];
    begin
        select * into v_type from ps.patron_type where patron_type_id = p_patron_type_id;
        if not found then
            raise exception using errcode = 'PS404', message = 'patron_type_not_found', detail = 'No such patron type.';
        end if;
        if v_type.deleted_at is not null then
            raise exception using errcode = 'PS409', message = 'patron_type_deleted',
                detail = 'Patron types need to be in Institution Borrower Categories before you can create a policy.';
        end if;
        for v_key in select jsonb_object_keys(p) loop
            if v_key = any (v_limits) then
                if jsonb_typeof(p->v_key) not in ('null', 'number') or (jsonb_typeof(p->v_key) = 'number'
                   and ((p->>v_key)::numeric < 0 or (p->>v_key)::numeric <> trunc((p->>v_key)::numeric))) then
                    v_errors := v_errors || (v_key || ':invalid');
                end if;
            elsif v_key = any (v_booleans) then
                if jsonb_typeof(p->v_key) <> 'boolean' then v_errors := v_errors || (v_key || ':wrong_type'); end if;
            elsif v_key = any (v_texts) then
                if jsonb_typeof(p->v_key) not in ('null', 'string') then v_errors := v_errors || (v_key || ':wrong_type'); end if;
            else
                v_errors := v_errors || (v_key || ':unknown_field');
            end if;
        end loop;
        if p ? 'replyToFirst' and p->>'replyToFirst' not in ('institution', 'branch', 'patron_type') then
            v_errors := v_errors || 'replyToFirst:invalid'::text;
        end if;
        if p ? 'replyToSecond' and p->>'replyToSecond' not in ('institution', 'branch') then
            v_errors := v_errors || 'replyToSecond:invalid'::text;
        end if;
        select ps.api(to_jsonb(pp)) into v_current from ps.patron_type_policy pp where pp.patron_type_id = p_patron_type_id;
        v_merged := coalesce(v_current, '{}') || p;
        if v_merged->>'replyToFirst' = 'patron_type' and coalesce(v_merged->>'replyToSecond', '') = '' then
            v_errors := v_errors || 'replyToSecond:required'::text;
        end if;
        if cardinality(v_errors) > 0 then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'The policy has invalid fields.',
                hint = array_to_string(v_errors, ',');
        end if;
        if v_current is null then
            insert into ps.patron_type_policy (institution_id, patron_type_id) values (v_type.institution_id, p_patron_type_id);
        end if;
        update ps.patron_type_policy set
            use_patron_supplied_email = coalesce((v_merged->>'usePatronSuppliedEmail')::boolean, true),
            membership_policy = v_merged->>'membershipPolicy',
            max_loan_value_minor = (v_merged->>'maxLoanValueMinor')::bigint,
            block_renewal_when_exceeded = coalesce((v_merged->>'blockRenewalWhenExceeded')::boolean, true),
            max_items_overdue = (v_merged->>'maxItemsOverdue')::integer,
            max_days_overdue = (v_merged->>'maxDaysOverdue')::integer,
            max_claimed_lost = (v_merged->>'maxClaimedLost')::integer,
            max_claimed_returned = (v_merged->>'maxClaimedReturned')::integer,
            max_claimed_never_had = (v_merged->>'maxClaimedNeverHad')::integer,
            bill_notification_policy = v_merged->>'billNotificationPolicy',
            max_outstanding_billed_minor = (v_merged->>'maxOutstandingBilledMinor')::bigint,
            max_waived_minor = (v_merged->>'maxWaivedMinor')::bigint,
            suspension_notification_policy = v_merged->>'suspensionNotificationPolicy',
            max_suspension_minutes = (v_merged->>'maxSuspensionMinutes')::integer,
            account_overview_template = v_merged->>'accountOverviewTemplate',
            reply_to_first = v_merged->>'replyToFirst',
            reply_to_second = v_merged->>'replyToSecond'
        where patron_type_id = p_patron_type_id;
        return (select ps.api(to_jsonb(pp)) || jsonb_build_object('policyName', v_type.code)
                from ps.patron_type_policy pp where pp.patron_type_id = p_patron_type_id);
    end $$;
comment on function ps.save_patron_type_policy(bigint, jsonb) is
    'Creates or edits the patron type policy of a patron type from camelCase JSON (null: No Limit), validating all fields; Last Modified and history are kept by triggers.';

-- Loans the caller's institution lent, locked, or 404.
create function ps.lock_own_loan(p_loan_id bigint) returns ps.loan
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_loan loan;
    begin
        select * into v_loan from loan where loan_id = p_loan_id;
        if v_loan.loan_id is null or not ps.can_write_institution(v_loan.institution_id)
           or ps.current_staff_role() not in ('circulation_supervisor', 'circulation_staff', 'library_admin', 'consortium_admin') then
            raise exception using errcode = 'PS404', message = 'loan_not_found', detail = 'No such loan.';
        end if;
        perform 1 from patron where patron_id = v_loan.patron_id for update;
        select * into v_loan from loan where loan_id = p_loan_id for update;
        return v_loan;
    end $$;

create function ps.renew(p_loan_id bigint, p_due_at timestamptz, p_override_comment text, p_acknowledged text[]) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_loan loan := ps.lock_own_loan(p_loan_id);
        v_cleared record;
    begin
        if v_loan.state <> 'active' then
            raise exception using errcode = 'PS409', message = 'loan_not_active', detail = 'Only active loans renew.';
        end if;
        select * into v_cleared from clear_alerts(v_loan.patron_id, v_loan.checkout_branch_id, 'renewal', 0, p_override_comment, p_acknowledged);
        update loan set due_at = coalesce(p_due_at, greatest(due_at, now()) + interval '21 days'), renewals = renewals + 1,
            override_comment = case when cardinality(v_cleared.overridden) > 0 then p_override_comment else override_comment end,
            acknowledged_alerts = acknowledged_alerts || v_cleared.acknowledged
        where loan_id = p_loan_id returning * into v_loan;
        return ps.api(to_jsonb(v_loan)) || jsonb_build_object('overriddenAlerts', to_jsonb(v_cleared.overridden));
    end $$;
comment on function ps.renew(bigint, timestamptz, text, text[]) is
    'Renews a loan, honouring Block renewal when limit is exceeded; a Verify Patron block or a suspension always needs an override.';

-- Check-in: overdue fines are posted to the patron account when the item is returned.
create function ps.check_in(p_loan_id bigint) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_loan loan := ps.lock_own_loan(p_loan_id);
        v_fines accruing_fines_policy;
        v_tz text;
        v_days integer;
        v_fine bigint;
    begin
        if v_loan.state = 'returned' then
            raise exception using errcode = 'PS409', message = 'already_returned', detail = 'That loan was already checked in.';
        end if;
        select * into v_fines from accruing_fines_policy where institution_id = v_loan.institution_id;
        select time_zone into v_tz from branch where branch_id = v_loan.checkout_branch_id;
        v_days := greatest(0, (now() at time zone v_tz)::date - (v_loan.due_at at time zone v_tz)::date);
        v_fine := least(v_days * coalesce(v_fines.daily_fine_minor, 0), coalesce(v_fines.max_fine_minor, v_days * coalesce(v_fines.daily_fine_minor, 0)));
        update loan set state = 'returned', returned_at = now() where loan_id = p_loan_id returning * into v_loan;
        if v_fine > 0 then
            insert into bill (institution_id, patron_id, loan_id, kind, amount_minor, posted_at)
            values (v_loan.institution_id, v_loan.patron_id, v_loan.loan_id, 'overdue_fine', v_fine, now());
        end if;
        return ps.api(to_jsonb(v_loan)) || jsonb_build_object('postedFineMinor', v_fine);
    end $$;
comment on function ps.check_in(bigint) is 'Checks a loan in and posts its overdue fine (days overdue in the branch''s time zone × the daily rate, up to the maximum).';

create function ps.set_claim(p_loan_id bigint, p_claim text) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_loan loan := ps.lock_own_loan(p_loan_id);
    begin
        if p_claim is not null and p_claim not in ('claimed_lost', 'claimed_returned', 'claimed_never_had') then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'Unknown claim.', hint = 'claim:invalid';
        end if;
        if v_loan.state = 'returned' then
            raise exception using errcode = 'PS409', message = 'loan_returned', detail = 'A returned loan cannot be claimed.';
        end if;
        update loan set state = coalesce(p_claim, 'active') where loan_id = p_loan_id returning * into v_loan;
        return ps.api(to_jsonb(v_loan));
    end $$;
comment on function ps.set_claim(bigint, text) is 'Marks a loan claimed lost, claimed returned or claimed never had, or (null) clears the claim.';

-- ---------------------------------------------------------------------------------------------------
-- Deleting organisations: only what nothing refers to, so no history is lost
-- ---------------------------------------------------------------------------------------------------

create function ps.delete_branch(p_branch_id bigint) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_branch branch;
    begin
        select * into v_branch from branch where branch_id = p_branch_id;
        if v_branch.branch_id is null or not ps.can_write_institution(v_branch.institution_id)
           or ps.current_staff_role() not in ('consortium_admin', 'library_admin') then
            return null;
        end if;
        if exists (select 1 from patron where registered_branch_id = p_branch_id)
           or exists (select 1 from item where branch_id = p_branch_id)
           or exists (select 1 from loan where checkout_branch_id = p_branch_id)
           or exists (select 1 from pac_client where branch_id = p_branch_id)
           or exists (select 1 from branch_move where branch_id = p_branch_id)
           or exists (select 1 from change_request where branch_id = p_branch_id) then
            raise exception using errcode = 'PS409', message = 'branch_in_use',
                detail = 'Patrons, items, loans, PAC clients or history refer to this branch; move or retire them first.';
        end if;
        delete from setting_value where branch_id = p_branch_id;
        delete from branch where branch_id = p_branch_id;
        return jsonb_build_object('branchId', p_branch_id, 'deleted', true);
    end $$;
comment on function ps.delete_branch(bigint) is 'Deletes a branch nothing refers to; PS409 branch_in_use otherwise; null (404) when it is not the caller''s.';

create function ps.delete_library(p_institution_id bigint) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    begin
        if not ps.is_consortium_admin() or not exists (select 1 from library where institution_id = p_institution_id) then
            return null;
        end if;
        if exists (select 1 from branch where institution_id = p_institution_id)
           or exists (select 1 from staff_token where institution_id = p_institution_id and revoked_at is null) then
            raise exception using errcode = 'PS409', message = 'library_in_use',
                detail = 'The library still has branches or live staff tokens.';
        end if;
        delete from setting_value where institution_id = p_institution_id;
        delete from patron_type where institution_id = p_institution_id;
        delete from library where institution_id = p_institution_id;
        return jsonb_build_object('institutionId', p_institution_id, 'deleted', true);
    end $$;
comment on function ps.delete_library(bigint) is 'Deletes a library with no branches and no live tokens; PS409 library_in_use otherwise.';

create policy owner_delete on ps.branch for delete to patron_owner using (true);
create policy owner_delete on ps.library for delete to patron_owner using (true);
create policy owner_read on ps.library for select to patron_owner using (true);
create policy owner_delete on ps.setting_value for delete to patron_owner using (true);
create policy owner_delete on ps.patron_type for delete to patron_owner using (true);
create policy owner_read on ps.patron_type for select to patron_owner using (true);
create policy owner_read on ps.branch_move for select to patron_owner using (true);

-- ---------------------------------------------------------------------------------------------------
-- Bills: posting, payments and waivers (partial allowed)
-- ---------------------------------------------------------------------------------------------------

create function ps.settle_bill(p_bill_id bigint, p_amount_minor bigint, p_kind text) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_bill ps.bill;
    begin
        if p_kind not in ('payment', 'waiver') then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'payment or waiver.', hint = 'kind:invalid';
        end if;
        select * into v_bill from ps.bill where bill_id = p_bill_id for update;
        if not found then
            raise exception using errcode = 'PS404', message = 'bill_not_found', detail = 'No such bill.';
        end if;
        if v_bill.state <> 'outstanding' then
            raise exception using errcode = 'PS409', message = 'bill_not_outstanding', detail = format('The bill is %s.', v_bill.state);
        end if;
        if p_amount_minor is null or p_amount_minor <= 0
           or p_amount_minor > v_bill.amount_minor - v_bill.paid_minor - v_bill.waived_minor then
            raise exception using errcode = 'PS422', message = 'validation_failed',
                detail = 'The amount must be positive and at most the balance.', hint = 'amountMinor:invalid';
        end if;
        update ps.bill set
            paid_minor = paid_minor + case when p_kind = 'payment' then p_amount_minor else 0 end,
            waived_minor = waived_minor + case when p_kind = 'waiver' then p_amount_minor else 0 end
        where bill_id = p_bill_id returning * into v_bill;
        if v_bill.paid_minor + v_bill.waived_minor = v_bill.amount_minor then
            update ps.bill set state = case when v_bill.paid_minor = 0 then 'waived' else 'paid' end
            where bill_id = p_bill_id returning * into v_bill;
        end if;
        return ps.api(to_jsonb(v_bill)) || jsonb_build_object('balanceMinor', v_bill.amount_minor - v_bill.paid_minor - v_bill.waived_minor);
    end $$;
comment on function ps.settle_bill(bigint, bigint, text) is 'Records a payment or a waiver (partial allowed) against an outstanding bill; fully settled bills become paid or waived.';

-- The patron's bills view: current outstanding charges are posted charges plus accruing charges.
create function ps.patron_bills(p_patron_id bigint) returns jsonb
    language sql stable
    as $$
        select jsonb_build_object(
            'bills', coalesce((select jsonb_agg(ps.api(to_jsonb(b)) || jsonb_build_object('balanceMinor', b.amount_minor - b.paid_minor - b.waived_minor)
                                                order by b.bill_id)
                               from ps.bill b where b.patron_id = p_patron_id), '[]'),
            'postedMinor', (select coalesce(sum(amount_minor - paid_minor - waived_minor), 0) from ps.bill
                            where patron_id = p_patron_id and state = 'outstanding' and posted_at is not null),
            'accruingMinor', (select coalesce(sum(least(
                    greatest(0, (now() at time zone br.time_zone)::date - (l.due_at at time zone br.time_zone)::date) * f.daily_fine_minor,
                    coalesce(f.max_fine_minor, 9223372036854775807))), 0)
                from ps.loan l join ps.branch br on br.branch_id = l.checkout_branch_id
                join ps.accruing_fines_policy f on f.institution_id = l.institution_id
                where l.patron_id = p_patron_id and l.state = 'active'))
        where exists (select 1 from ps.patron where patron_id = p_patron_id)
    $$;
comment on function ps.patron_bills(bigint) is 'A patron''s bills with balances, the posted outstanding total and the fines still accruing on overdue loans.';
