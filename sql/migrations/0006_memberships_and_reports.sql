-- Memberships, suspensions applied and lifted, the settings behind the limits (loan limit, accruing
-- fines, overdue suspensions), the impact of deleting a patron type or policy, and the Outstanding Fees
-- and Bills report with its orphaned bills.

-- ---------------------------------------------------------------------------------------------------
-- Validation shared by the save functions: one pass over a camelCase JSON object against a spec
-- {"field": "type"}; types count (integer column, >= 0), positive (>= 1), money (bigint minor units,
-- >= 0, at most 2^53 - 1 so JSON clients keep it exact), boolean, text; a trailing ? allows null.
-- Returns every "field:code" error (required, wrong_type, invalid, unknown_field).
-- ---------------------------------------------------------------------------------------------------

create function ps.json_field_errors(p jsonb, p_spec jsonb) returns text[]
    language sql immutable
    as $$
        select coalesce(array_agg(e order by e), '{}') from (
            select k || ':' || case
                when not p_spec ? k then 'unknown_field'
                when jsonb_typeof(v) = 'null' then case when p_spec->>k like '%?' then null else 'required' end
                when p_spec->>k similar to '(count|positive|money)%' then
                    case when jsonb_typeof(v) <> 'number' then 'wrong_type'
                         when (v #>> '{}')::numeric <> trunc((v #>> '{}')::numeric)
                              or (v #>> '{}')::numeric > case when p_spec->>k like 'money%' then 9007199254740991 else 2147483647 end
                              or (v #>> '{}')::numeric < case when p_spec->>k like 'positive%' then 1 else 0 end then 'invalid' end
                when p_spec->>k = 'boolean' then case when jsonb_typeof(v) <> 'boolean' then 'wrong_type' end
                when p_spec->>k like 'text%' then case when jsonb_typeof(v) <> 'string' then 'wrong_type'
                                                     when length(v #>> '{}') > 200 then 'invalid' end
                end as e
            from jsonb_each(p) as j (k, v)) x
        where e is not null
    $$;
comment on function ps.json_field_errors(jsonb, jsonb) is
    'Field errors ("field:code") of a camelCase JSON object against a spec of field types; used by the save functions so a 422 lists every offending field.';

-- Raises PS422 validation_failed listing the fields, when there are any.
create function ps.raise_field_errors(p_errors text[], p_detail text) returns void
    language plpgsql immutable
    as $$
    begin
        if cardinality(p_errors) > 0 then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = p_detail,
                hint = array_to_string(p_errors, ',');
        end if;
    end $$;

-- ---------------------------------------------------------------------------------------------------
-- Memberships
-- ---------------------------------------------------------------------------------------------------

create table ps.membership_policy (
    institution_id bigint not null references ps.library on update cascade,
    membership_policy_id bigint generated always as identity,
    name text not null check (length(name) between 1 and 100),
    fee_minor bigint not null check (fee_minor >= 0),
    bill_reason text not null default 'Membership fee' check (length(bill_reason) between 1 and 100),
    period_days integer not null check (period_days >= 1),
    reminder_days integer check (reminder_days is null or reminder_days >= 0),
    created_at timestamptz not null default now(),
    primary key (institution_id, membership_policy_id),
    unique (membership_policy_id),
    unique (institution_id, name)
);
comment on table ps.membership_policy is
    'Membership policies: a fee (minor units, billed with bill_reason when a patron record is created), a period of at least one day, and how many days before expiry a reminder goes out.';

-- The free-text membership policy of 0005 becomes a reference to a membership policy.
alter table ps.patron_type_policy drop column membership_policy;
alter table ps.patron_type_policy add column membership_policy_id bigint references ps.membership_policy (membership_policy_id);
comment on column ps.patron_type_policy.membership_policy_id is
    'The membership policy patrons of this type need, or null. Removing it stops blocking expired or unknown memberships; pending membership bills stay (orphaned bills).';

alter table ps.bill add column reason text;
alter table ps.bill add column cancelled_at timestamptz;
alter table ps.bill add column cancelled_by text;
comment on column ps.bill.reason is 'The bill reason shown to staff and patrons (for membership fees, the membership policy''s bill reason).';

create table ps.membership (
    institution_id bigint not null,
    membership_id bigint generated always as identity,
    patron_id bigint not null references ps.patron (patron_id),
    membership_policy_id bigint not null references ps.membership_policy (membership_policy_id),
    bill_id bigint references ps.bill (bill_id),
    state text not null default 'pending' check (state in ('pending', 'active', 'cancelled')),
    starts_at timestamptz,
    ends_at timestamptz,
    reminded_at timestamptz,
    created_at timestamptz not null default now(),
    primary key (institution_id, membership_id),
    unique (membership_id),
    check (state <> 'active' or ends_at > starts_at)
);
create index membership_patron on ps.membership (patron_id);
create index membership_bill on ps.membership (bill_id);
comment on table ps.membership is
    'A patron''s memberships: pending until the fee bill is paid (or waived), then active from starts_at to ends_at; past ends_at it is expired. A patron with no membership under a policy that needs one has an unknown status.';

-- Opens a membership for a patron under a policy: a posted membership fee bill and a pending
-- membership, or (free policies) an active one at once. A renewal starts when the current one ends.
create function ps.open_membership(p_patron_id bigint, p_policy_id bigint) returns ps.membership
    language plpgsql volatile
    as $$
    declare
        v_policy ps.membership_policy;
        v_patron ps.patron;
        v_bill bigint;
        v_start timestamptz;
        v_row ps.membership;
    begin
        select * into v_policy from ps.membership_policy where membership_policy_id = p_policy_id;
        select * into v_patron from ps.patron where patron_id = p_patron_id;
        if v_policy.fee_minor > 0 then
            insert into ps.bill (institution_id, patron_id, kind, reason, amount_minor, posted_at)
            values (v_policy.institution_id, p_patron_id, 'membership_fee', v_policy.bill_reason, v_policy.fee_minor, now())
            returning bill_id into v_bill;
            insert into ps.membership (institution_id, patron_id, membership_policy_id, bill_id)
            values (v_policy.institution_id, p_patron_id, p_policy_id, v_bill) returning * into v_row;
        else
            select greatest(now(), coalesce(max(ends_at), now())) into v_start from ps.membership
            where patron_id = p_patron_id and state = 'active';
            insert into ps.membership (institution_id, patron_id, membership_policy_id, state, starts_at, ends_at)
            values (v_policy.institution_id, p_patron_id, p_policy_id, 'active', v_start, v_start + make_interval(days => v_policy.period_days))
            returning * into v_row;
        end if;
        return v_row;
    end $$;
comment on function ps.open_membership(bigint, bigint) is
    'Opens a membership: bills the fee (pending until paid) or, when free, activates it at once; a renewal starts when the current membership ends.';

-- A membership bill is generated when the patron record is created.
create function ps.membership_on_patron_created() returns trigger
    language plpgsql
    as $$
    declare
        v_policy bigint;
    begin
        select membership_policy_id into v_policy from ps.patron_type_policy
        where institution_id = new.institution_id and patron_type_id = new.patron_type_id;
        if v_policy is not null then
            perform ps.open_membership(new.patron_id, v_policy);
        end if;
        return null;
    end $$;
create trigger membership_on_patron_created after insert on ps.patron
    for each row execute function ps.membership_on_patron_created();

-- Paying (or waiving) the membership bill makes the membership active; cancelling it cancels it.
create function ps.membership_on_bill_settled() returns trigger
    language plpgsql
    as $$
    declare
        v_start timestamptz;
    begin
        if new.kind <> 'membership_fee' or new.state = old.state then
            return null;
        end if;
        if new.state in ('paid', 'waived') then
            select greatest(now(), coalesce(max(ends_at), now())) into v_start from ps.membership
            where patron_id = new.patron_id and state = 'active';
            update ps.membership m set state = 'active', starts_at = v_start,
                ends_at = v_start + make_interval(days => (select period_days from ps.membership_policy mp
                                                           where mp.membership_policy_id = m.membership_policy_id))
            where m.bill_id = new.bill_id and m.state = 'pending';
        elsif new.state = 'cancelled' then
            update ps.membership set state = 'cancelled' where bill_id = new.bill_id and state = 'pending';
        end if;
        return null;
    end $$;
create trigger membership_on_bill_settled after update of state on ps.bill
    for each row execute function ps.membership_on_bill_settled();

-- The membership status of one patron under its home institution's patron type policy. PL/pgSQL,
-- not SQL: eligibility calls it on every check, and PL/pgSQL keeps its plan for the session.
create function ps.membership_status(p_patron_id bigint)
    returns table (status text, required_policy_id bigint, membership_id bigint, ends_at timestamptz)
    language plpgsql stable security definer set search_path = ps, pg_temp
    as $$
    begin
        return query
        select case when pp.membership_policy_id is null then 'not_required'
                    when m.membership_id is null then 'unknown'
                    when m.state = 'pending' then 'pending'
                    when m.ends_at > now() then 'active'
                    else 'expired' end,
               pp.membership_policy_id, m.membership_id, m.ends_at
        from patron p
        left join patron_type_policy pp on pp.institution_id = p.institution_id and pp.patron_type_id = p.patron_type_id
        left join lateral (
            select * from membership m where m.patron_id = p.patron_id and m.state <> 'cancelled'
            -- The best membership decides: a current one, else a pending one, else the latest that ran out.
            order by (m.state = 'active' and m.ends_at > now()) desc, (m.state = 'pending') desc, m.ends_at desc nulls last
            limit 1) m on pp.membership_policy_id is not null
        where p.patron_id = p_patron_id;
    end $$;
comment on function ps.membership_status(bigint) is
    'A patron''s membership status: not_required (no membership policy on the patron type policy), unknown (no membership: older records), pending (fee not yet paid), active, or expired.';

-- Staff open (or renew) a patron's membership: under the given policy of the patron's home
-- institution, else the one its patron type policy requires.
create function ps.renew_membership(p_patron_id bigint, p_policy_id bigint) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_patron ps.patron;
        v_policy bigint;
        v_id bigint;
    begin
        select * into v_patron from ps.patron where patron_id = p_patron_id and deleted_at is null for update;
        if not found then
            return null;
        end if;
        v_policy := coalesce(p_policy_id, (select required_policy_id from ps.membership_status(p_patron_id)));
        if v_policy is null then
            raise exception using errcode = 'PS409', message = 'no_membership_policy',
                detail = 'The patron''s type has no membership policy; name one.', hint = 'membershipPolicyId:required';
        end if;
        if not exists (select 1 from ps.membership_policy where membership_policy_id = v_policy and institution_id = v_patron.institution_id) then
            raise exception using errcode = 'PS422', message = 'validation_failed',
                detail = 'No such membership policy at the patron''s home institution.', hint = 'membershipPolicyId:not_found';
        end if;
        v_id := (ps.open_membership(p_patron_id, v_policy)).membership_id;
        return (select ps.api(to_jsonb(m)) from ps.patron_membership m where m.membership_id = v_id);
    end $$;
comment on function ps.renew_membership(bigint, bigint) is
    'Opens or renews a patron''s membership (fee billed, active once paid; a renewal starts when the current membership ends).';

-- Memberships shown on the patron's account, whatever policy they were opened under.
create view ps.patron_membership with (security_invoker = true) as
    select m.institution_id, m.membership_id, m.patron_id, m.membership_policy_id, mp.name as membership_policy_name,
           m.bill_id, case when m.state = 'active' and m.ends_at <= now() then 'expired' else m.state end as state,
           m.starts_at, m.ends_at, m.created_at
    from ps.membership m join ps.membership_policy mp using (membership_policy_id);
comment on view ps.patron_membership is
    'Memberships on patrons'' accounts with their state (pending, active, expired, cancelled); active memberships keep showing after their policy is removed from the patron type.';

-- ---------------------------------------------------------------------------------------------------
-- Suspensions: lifted rather than deleted; applied automatically for overdue returns and renewals
-- ---------------------------------------------------------------------------------------------------

alter table ps.suspension add column lifted_at timestamptz;
alter table ps.suspension add column lifted_by text;
alter table ps.suspension add column loan_id bigint references ps.loan (loan_id);
comment on column ps.suspension.institution_id is 'The institution that imposed the suspension (the lending one for overdue suspensions).';

create table ps.overdue_suspension_policy (
    institution_id bigint primary key references ps.library on update cascade,
    minutes_per_day_overdue integer not null check (minutes_per_day_overdue >= 0)
);
comment on table ps.overdue_suspension_policy is
    'How long a patron is suspended, per day overdue, after returning or renewing an overdue item of this institution; capped by the patron''s maximum suspension period.';

-- Inserts a suspension of up to p_minutes starting when the patron's current one ends. The cap comes
-- from the patron type policy of the patron's home institution; returns null when the type is never
-- suspended and p_strict is false. Callers hold the patron's row lock (suspend_patron, and check-in and
-- renewal through lock_own_loan), which keeps two suspensions from starting at the same moment.
create function ps.impose_suspension(p_patron_id bigint, p_institution_id bigint, p_minutes integer, p_reason text,
                                     p_loan_id bigint, p_strict boolean)
    returns ps.suspension
    language plpgsql volatile
    as $$
    declare
        v_max integer;
        v_start timestamptz;
        v_row ps.suspension;
    begin
        select pp.max_suspension_minutes into v_max from ps.patron p
        join ps.patron_type_policy pp on pp.institution_id = p.institution_id and pp.patron_type_id = p.patron_type_id
        where p.patron_id = p_patron_id;
        if v_max = 0 then
            if p_strict then
                raise exception using errcode = 'PS409', message = 'never_suspended', detail = 'This patron type is never suspended.';
            end if;
            return null;
        end if;
        select greatest(now(), coalesce(max(ends_at), now())) into v_start from ps.suspension
        where patron_id = p_patron_id and lifted_at is null;
        insert into ps.suspension (institution_id, patron_id, starts_at, ends_at, reason, created_by, loan_id)
        values (p_institution_id, p_patron_id, v_start, v_start + make_interval(mins => least(p_minutes, coalesce(v_max, p_minutes))),
            coalesce(p_reason, ''), coalesce(nullif(current_setting('ps.actor', true), ''), session_user), p_loan_id)
        returning * into v_row;
        return v_row;
    end $$;

create or replace function ps.suspend_patron(p_patron_id bigint, p_minutes integer, p_reason text) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_patron ps.patron;
        v_row ps.suspension;
    begin
        select * into v_patron from ps.patron where patron_id = p_patron_id and deleted_at is null for update;
        if not found or ps.current_staff_role() not in ('circulation_supervisor', 'circulation_staff', 'library_admin', 'consortium_admin') then
            raise exception using errcode = 'PS404', message = 'patron_not_found', detail = 'No such patron.';
        end if;
        if p_minutes is null or p_minutes <= 0 then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'A positive number of minutes.', hint = 'minutes:invalid';
        end if;
        v_row := ps.impose_suspension(p_patron_id, v_patron.institution_id, p_minutes, p_reason, null, true);
        return ps.api(to_jsonb(v_row)) || jsonb_build_object('cappedAt', (
            select max_suspension_minutes from ps.patron_type_policy
            where institution_id = v_patron.institution_id and patron_type_id = v_patron.patron_type_id));
    end $$;

create function ps.lift_suspension(p_suspension_id bigint) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_row ps.suspension;
    begin
        update ps.suspension set lifted_at = now(), lifted_by = coalesce(nullif(current_setting('ps.actor', true), ''), session_user)
        where suspension_id = p_suspension_id and lifted_at is null
          and ps.current_staff_role() in ('circulation_supervisor', 'library_admin', 'consortium_admin')
        returning * into v_row;
        return case when v_row.suspension_id is not null then ps.api(to_jsonb(v_row)) end;
    end $$;
comment on function ps.lift_suspension(bigint) is 'Lifts a suspension (kept, with who lifted it and when); supervisors and administrators of the imposing institution.';

-- Whether the caller's desk circulates to patrons of an institution: its own, a circulation group
-- partner's, or any for a consortium administrator.
create function ps.caller_shares_circulation(p_institution_id bigint) returns boolean
    language sql stable
    as $$ select ps.is_consortium_admin() or ps.shares_circulation_group(ps.current_institution_id(), p_institution_id) $$;
comment on function ps.caller_shares_circulation(bigint) is
    'True when the caller''s institution is the given one or shares a circulation group with it, or the caller is a consortium administrator.';

-- Suspensions of a patron the caller may see: its own patrons' and those of its circulation groups.
create function ps.patron_suspensions(p_patron_id bigint) returns jsonb
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select coalesce(jsonb_agg(ps.api(to_jsonb(s)) || jsonb_build_object('current', s.lifted_at is null and now() between s.starts_at and s.ends_at)
                                  order by s.starts_at), '[]')
        from suspension s where s.patron_id = p_patron_id
        having exists (select 1 from patron p where p.patron_id = p_patron_id and p.deleted_at is null
                       and ps.current_staff_role() in ('consortium_admin', 'library_admin', 'circulation_supervisor', 'circulation_staff')
                       and ps.caller_shares_circulation(p.institution_id))
    $$;
comment on function ps.patron_suspensions(bigint) is 'A patron''s suspensions, from every institution, with whether each is in force; null when the caller cannot see the patron.';

-- ---------------------------------------------------------------------------------------------------
-- Eligibility, now with membership and lifted suspensions, and the Loan Limit Policy of the lending
-- institution (in circulation groups the loan limit policy follows the item's institution while the
-- patron type policy follows the patron's home institution).
-- ---------------------------------------------------------------------------------------------------

drop function ps.eligibility(bigint, bigint, text);
create function ps.eligibility(p_patron_id bigint, p_branch_id bigint, p_action text)
    returns table (condition text, limit_value bigint, current_value bigint, exceeded boolean, blocks boolean,
                   clearance text, policy_institution_id bigint, policy_last_modified timestamptz, detail text)
    language plpgsql stable security definer set search_path = ps, pg_temp
    as $$
    declare
        v_scope record;
        v_patron patron;
        v_policy patron_type_policy;
        v_fines accruing_fines_policy;
        v_membership text := 'not_required';
        v_verified bigint;
        v_tz text;
        v_blocks_renewal boolean;
        v_value_limit bigint;
    begin
        if p_action is null or p_action not in ('checkout', 'renewal') then
            raise exception using errcode = 'PS422', message = 'validation_failed', detail = 'checkout or renewal.', hint = 'action:invalid';
        end if;
        select * into v_scope from policy_scope(p_patron_id, p_branch_id);
        -- Staff see patrons of their own institution or of one sharing a circulation group.
        if not ps.caller_shares_circulation(v_scope.institution_id) then
            raise exception using errcode = 'PS404', message = 'patron_not_found', detail = 'No such patron.';
        end if;
        select * into v_patron from patron where patron_id = p_patron_id;
        select * into v_policy from patron_type_policy where institution_id = v_scope.institution_id and patron_type_id = v_patron.patron_type_id;
        select * into v_fines from accruing_fines_policy where institution_id = v_scope.institution_id;
        select verified_loan_value_limit_minor into v_verified from loan_limit_policy
            where institution_id = v_scope.transaction_institution_id and patron_type_id = v_patron.patron_type_id;
        if v_policy.membership_policy_id is not null then
            select status into v_membership from membership_status(p_patron_id);
        end if;
        select time_zone into v_tz from branch where branch_id = p_branch_id;
        v_blocks_renewal := coalesce(v_policy.block_renewal_when_exceeded, true);
        v_value_limit := case when v_policy.max_loan_value_minor is null then v_verified
                              when v_verified is null then v_policy.max_loan_value_minor
                              else least(v_policy.max_loan_value_minor, v_verified) end;

        return query
        with open_loans as (
            select l.state, i.cost_minor,
                   greatest(0, (now() at time zone v_tz)::date - (l.due_at at time zone v_tz)::date) as days_overdue
            from loan l join item i on i.item_id = l.item_id
            where l.patron_id = p_patron_id and l.state <> 'returned'),
        loan_figures as (
            select count(*) filter (where state = 'active' and days_overdue > 0) as items_overdue,
                   coalesce(max(days_overdue) filter (where state = 'active'), 0)::bigint as days_overdue,
                   count(*) filter (where state = 'claimed_lost') as claimed_lost,
                   count(*) filter (where state = 'claimed_returned') as claimed_returned,
                   count(*) filter (where state = 'claimed_never_had') as claimed_never_had,
                   coalesce(sum(cost_minor) filter (where state = 'active'), 0)::bigint as loan_value,
                   coalesce(sum(least(days_overdue * coalesce(v_fines.daily_fine_minor, 0),
                                      coalesce(v_fines.max_fine_minor, days_overdue * coalesce(v_fines.daily_fine_minor, 0))))
                            filter (where state = 'active'), 0)::bigint as accruing
            from open_loans),
        bill_figures as (
            select coalesce(sum(amount_minor - paid_minor - waived_minor) filter (where state = 'outstanding' and posted_at is not null), 0)::bigint as posted,
                   coalesce(sum(waived_minor), 0)::bigint as waived
            from bill where patron_id = p_patron_id)
        select x.condition, x.limit_value, x.current_value, x.exceeded, x.exceeded and (x.always or v_blocks_renewal),
               case when x.exceeded and (x.always or v_blocks_renewal) then 'override' else 'acknowledge' end,
               v_scope.institution_id, v_policy.last_modified, x.detail
        from (select c.condition, c.limit_value, c.current_value, c.always, c.detail,
                     coalesce(c.current_value > c.limit_value, false) or c.always as exceeded
        from loan_figures f, bill_figures b, lateral (values
            ('verify_patron_block', null::bigint, null::bigint, exists (select 1 from patron_block pb where pb.patron_id = p_patron_id
                and pb.kind = 'verify_patron' and pb.lifted_at is null), null::text),
            ('suspended', null, null, exists (select 1 from suspension s where s.patron_id = p_patron_id and s.lifted_at is null
                and now() >= s.starts_at and now() < s.ends_at), null),
            ('membership', null, null, v_membership in ('expired', 'unknown'), v_membership),
            ('max_items_overdue', v_policy.max_items_overdue::bigint, f.items_overdue, false, null),
            ('max_days_overdue', v_policy.max_days_overdue::bigint, f.days_overdue, false, null),
            ('max_claimed_lost', v_policy.max_claimed_lost::bigint, f.claimed_lost, false, null),
            ('max_claimed_returned', v_policy.max_claimed_returned::bigint, f.claimed_returned, false, null),
            ('max_claimed_never_had', v_policy.max_claimed_never_had::bigint, f.claimed_never_had, false, null),
            ('max_loan_value', v_value_limit, f.loan_value, false,
                case when v_verified is not null and v_value_limit = v_verified and v_value_limit is distinct from v_policy.max_loan_value_minor
                     then 'verified_loan_value_limit' when v_value_limit is not null then 'patron_type_policy' end),
            ('max_outstanding_billed', v_policy.max_outstanding_billed_minor,
                b.posted + case when coalesce(v_fines.counts_toward_billed_limit, false) then f.accruing else 0 end, false,
                case when coalesce(v_fines.counts_toward_billed_limit, false) then 'posted_and_accruing' else 'posted' end),
            ('max_amount_waived', v_policy.max_waived_minor, b.waived, false, null)
        ) c (condition, limit_value, current_value, always, detail)
        where c.limit_value is not null or c.condition in ('verify_patron_block', 'suspended')
           or (c.condition = 'membership' and v_membership <> 'not_required')) x;
    end $$;
comment on function ps.eligibility(bigint, bigint, text) is
    'Every condition for a patron at a branch for checkout or renewal, under the patron''s home institution''s policy: limit (null: No Limit), current figure across the consortium, exceeded, whether it blocks (a Verify Patron block, a suspension and an expired or unknown membership always; limits when Block renewal when limit is exceeded is on), override (blocking) or acknowledge, the policy''s institution and Last Modified, and a detail (membership status; which limit binds the value on loan; whether accruing fines count). Days overdue in the branch''s time zone; the value limit is the most restrictive of the policy''s and the lending institution''s Verified Loan Value Limit.';

-- ---------------------------------------------------------------------------------------------------
-- Check-in and renewal apply overdue suspensions
-- ---------------------------------------------------------------------------------------------------

-- Days a loan is overdue now, in its checkout branch's time zone.
create function ps.loan_days_overdue(p_loan ps.loan) returns integer
    language sql stable
    as $$
        select greatest(0, (now() at time zone b.time_zone)::date - (p_loan.due_at at time zone b.time_zone)::date)
        from ps.branch b where b.branch_id = p_loan.checkout_branch_id
    $$;

create function ps.suspend_for_overdue(p_loan ps.loan, p_days integer) returns ps.suspension
    language plpgsql volatile
    as $$
    declare
        v_rate integer;
    begin
        select minutes_per_day_overdue into v_rate from ps.overdue_suspension_policy where institution_id = p_loan.institution_id;
        if coalesce(v_rate, 0) = 0 or p_days <= 0 then
            return null;
        end if;
        return ps.impose_suspension(p_loan.patron_id, p_loan.institution_id, p_days * v_rate,
            format('Loan %s returned or renewed %s days overdue', p_loan.loan_id, p_days), p_loan.loan_id, false);
    end $$;
comment on function ps.suspend_for_overdue(ps.loan, integer) is
    'Applies the lending institution''s overdue suspension (minutes per day overdue), capped by the patron''s maximum suspension period and skipped when the type is never suspended.';

create or replace function ps.check_in(p_loan_id bigint) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_loan loan := ps.lock_own_loan(p_loan_id);
        v_fines accruing_fines_policy;
        v_days integer;
        v_fine bigint;
        v_suspension suspension;
    begin
        if v_loan.state = 'returned' then
            raise exception using errcode = 'PS409', message = 'already_returned', detail = 'That loan was already checked in.';
        end if;
        select * into v_fines from accruing_fines_policy where institution_id = v_loan.institution_id;
        v_days := ps.loan_days_overdue(v_loan);
        v_fine := least(v_days * coalesce(v_fines.daily_fine_minor, 0), coalesce(v_fines.max_fine_minor, v_days * coalesce(v_fines.daily_fine_minor, 0)));
        update loan set state = 'returned', returned_at = now() where loan_id = p_loan_id returning * into v_loan;
        if v_fine > 0 then
            insert into bill (institution_id, patron_id, loan_id, kind, reason, amount_minor, posted_at)
            values (v_loan.institution_id, v_loan.patron_id, v_loan.loan_id, 'overdue_fine', 'Overdue', v_fine, now());
        end if;
        v_suspension := ps.suspend_for_overdue(v_loan, v_days);
        return ps.api(to_jsonb(v_loan)) || jsonb_build_object('postedFineMinor', v_fine,
            'suspension', case when v_suspension.suspension_id is not null then ps.api(to_jsonb(v_suspension)) end);
    end $$;
comment on function ps.check_in(bigint) is
    'Checks a loan in, posts its overdue fine (days overdue in the branch''s time zone × the daily rate, up to the maximum) and applies the overdue suspension.';

create or replace function ps.renew(p_loan_id bigint, p_due_at timestamptz, p_override_comment text, p_acknowledged text[]) returns jsonb
    language plpgsql volatile security definer set search_path = ps, pg_temp
    as $$
    declare
        v_loan loan := ps.lock_own_loan(p_loan_id);
        v_cleared record;
        v_days integer;
        v_suspension suspension;
    begin
        if v_loan.state <> 'active' then
            raise exception using errcode = 'PS409', message = 'loan_not_active', detail = 'Only active loans renew.';
        end if;
        select * into v_cleared from clear_alerts(v_loan.patron_id, v_loan.checkout_branch_id, 'renewal', 0, p_override_comment, p_acknowledged);
        v_days := ps.loan_days_overdue(v_loan);
        update loan set due_at = coalesce(p_due_at, greatest(due_at, now()) + interval '21 days'), renewals = renewals + 1,
            override_comment = case when cardinality(v_cleared.overridden) > 0 then p_override_comment else override_comment end,
            acknowledged_alerts = acknowledged_alerts || v_cleared.acknowledged
        where loan_id = p_loan_id returning * into v_loan;
        v_suspension := ps.suspend_for_overdue(v_loan, v_days);
        return ps.api(to_jsonb(v_loan)) || jsonb_build_object('overriddenAlerts', to_jsonb(v_cleared.overridden),
            'suspension', case when v_suspension.suspension_id is not null then ps.api(to_jsonb(v_suspension)) end);
    end $$;
comment on function ps.renew(bigint, timestamptz, text, text[]) is
    'Renews a loan, honouring Block renewal when limit is exceeded (a Verify Patron block, a suspension or an expired membership always needs an override), and applies the overdue suspension when it was overdue.';

-- ---------------------------------------------------------------------------------------------------
-- The settings behind the limits
-- ---------------------------------------------------------------------------------------------------

-- The institution a settings call acts on: the given one (consortium admins) or the caller's own.
create function ps.settings_institution(p_institution_id bigint) returns bigint
    language plpgsql stable
    as $$
    declare
        v_id bigint := coalesce(p_institution_id, ps.current_institution_id());
    begin
        if v_id is null or not ps.can_write_institution(v_id) or not exists (select 1 from ps.library where institution_id = v_id) then
            raise exception using errcode = 'PS404', message = 'library_not_found', detail = 'No such library.';
        end if;
        return v_id;
    end $$;

create function ps.save_accruing_fines_policy(p_institution_id bigint, p jsonb) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_id bigint := ps.settings_institution(p_institution_id);
        v_row ps.accruing_fines_policy;
        v_merged jsonb;
    begin
        perform ps.raise_field_errors(ps.json_field_errors(p,
            '{"dailyFineMinor": "money", "maxFineMinor": "money?", "countsTowardBilledLimit": "boolean"}'), 'The policy has invalid fields.');
        select ps.api(to_jsonb(f)) into v_merged from ps.accruing_fines_policy f where institution_id = v_id;
        v_merged := coalesce(v_merged, '{}') || p;
        insert into ps.accruing_fines_policy (institution_id, daily_fine_minor, max_fine_minor, counts_toward_billed_limit)
        values (v_id, coalesce((v_merged->>'dailyFineMinor')::bigint, 0), (v_merged->>'maxFineMinor')::bigint,
                coalesce((v_merged->>'countsTowardBilledLimit')::boolean, false))
        on conflict (institution_id) do update set daily_fine_minor = excluded.daily_fine_minor,
            max_fine_minor = excluded.max_fine_minor, counts_toward_billed_limit = excluded.counts_toward_billed_limit
        returning * into v_row;
        return ps.api(to_jsonb(v_row));
    end $$;
comment on function ps.save_accruing_fines_policy(bigint, jsonb) is
    'Saves an institution''s Accruing Fines Policy: daily fine, maximum per item (null: none), and whether accruing fines count toward the outstanding billed limit.';

create function ps.save_overdue_suspension_policy(p_institution_id bigint, p jsonb) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_id bigint := ps.settings_institution(p_institution_id);
        v_row ps.overdue_suspension_policy;
    begin
        perform ps.raise_field_errors(ps.json_field_errors(p, '{"minutesPerDayOverdue": "count"}')
            || case when not p ? 'minutesPerDayOverdue' then array['minutesPerDayOverdue:required'] else '{}' end, 'The policy has invalid fields.');
        insert into ps.overdue_suspension_policy values (v_id, (p->>'minutesPerDayOverdue')::integer)
        on conflict (institution_id) do update set minutes_per_day_overdue = excluded.minutes_per_day_overdue
        returning * into v_row;
        return ps.api(to_jsonb(v_row));
    end $$;
comment on function ps.save_overdue_suspension_policy(bigint, jsonb) is 'Saves how many minutes of suspension each day overdue earns at this institution (0: none).';

create function ps.save_loan_limit_policy(p_institution_id bigint, p_patron_type_id bigint, p jsonb) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_id bigint := ps.settings_institution(p_institution_id);
        v_row ps.loan_limit_policy;
    begin
        -- The patron types of the institution and of those sharing a circulation group with it.
        if not exists (select 1 from ps.circulation_patron_types() t where t.patron_type_id = p_patron_type_id) then
            raise exception using errcode = 'PS404', message = 'patron_type_not_found', detail = 'No such patron type.';
        end if;
        perform ps.raise_field_errors(ps.json_field_errors(p, '{"verifiedLoanValueLimitMinor": "money?"}'), 'The policy has invalid fields.');
        insert into ps.loan_limit_policy values (v_id, p_patron_type_id, (p->>'verifiedLoanValueLimitMinor')::bigint)
        on conflict (institution_id, patron_type_id) do update set verified_loan_value_limit_minor = excluded.verified_loan_value_limit_minor
        returning * into v_row;
        return ps.api(to_jsonb(v_row));
    end $$;
comment on function ps.save_loan_limit_policy(bigint, bigint, jsonb) is
    'Saves the lending institution''s Loan Limit Policy for a patron type (its own or a circulation group partner''s): the Verified Loan Value Limit (null: not enabled).';

-- Patron types a lending institution may set loan limits for: its own and its group partners'.
create function ps.circulation_patron_types()
    returns table (patron_type_id bigint, institution_id bigint, code text, deleted_at timestamptz)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select t.patron_type_id, t.institution_id, t.code, t.deleted_at from patron_type t
        where ps.caller_shares_circulation(t.institution_id)
    $$;
comment on function ps.circulation_patron_types() is 'Patron types of the caller''s institution and of institutions sharing a circulation group with it.';

create function ps.save_membership_policy(p_policy_id bigint, p jsonb) returns jsonb
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
            values (ps.settings_institution((p->>'institutionId')::bigint), v_current->>'name', (v_current->>'feeMinor')::bigint,
                    coalesce(v_current->>'billReason', 'Membership fee'), (v_current->>'periodDays')::integer, (v_current->>'reminderDays')::integer)
            returning * into v_row;
        else
            update ps.membership_policy set name = v_current->>'name', fee_minor = (v_current->>'feeMinor')::bigint,
                bill_reason = v_current->>'billReason', period_days = (v_current->>'periodDays')::integer,
                reminder_days = (v_current->>'reminderDays')::integer
            where membership_policy_id = p_policy_id returning * into v_row;
        end if;
        return ps.api(to_jsonb(v_row));
    end $$;
comment on function ps.save_membership_policy(bigint, jsonb) is
    'Creates (null id) or edits a membership policy: name, fee, bill reason, period in days (at least 1) and reminder days before expiry.';

-- The Edit Policy screen again, with the membership policy now a reference (membershipPolicyId).
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
            "maxWaivedMinor": "money?", "maxSuspensionMinutes": "count?", "usePatronSuppliedEmail": "boolean",
            "blockRenewalWhenExceeded": "boolean", "membershipPolicyId": "positive?", "billNotificationPolicy": "text?",
            "suspensionNotificationPolicy": "text?", "accountOverviewTemplate": "text?", "replyToFirst": "text?", "replyToSecond": "text?"}');
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
            membership_policy_id = (v_merged->>'membershipPolicyId')::bigint,
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

-- ---------------------------------------------------------------------------------------------------
-- Deleting a patron type or a policy: the impact first, and nothing lost
-- ---------------------------------------------------------------------------------------------------

create function ps.patron_type_impact(p_patron_type_id bigint) returns jsonb
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select jsonb_build_object(
            'patronTypeId', t.patron_type_id, 'policyName', t.code, 'patronTypeDeleted', t.deleted_at is not null,
            'hasPolicy', exists (select 1 from patron_type_policy pp where pp.patron_type_id = t.patron_type_id),
            'patrons', (select count(*) from patron p where p.patron_type_id = t.patron_type_id and p.deleted_at is null),
            'activeLoans', (select count(*) from loan l join patron p using (patron_id)
                            where p.patron_type_id = t.patron_type_id and l.state <> 'returned'),
            'outstandingBills', (select count(*) from bill b join patron p using (patron_id)
                                 where p.patron_type_id = t.patron_type_id and b.state = 'outstanding'),
            'outstandingMinor', (select coalesce(sum(b.amount_minor - b.paid_minor - b.waived_minor), 0) from bill b join patron p using (patron_id)
                                 where p.patron_type_id = t.patron_type_id and b.state = 'outstanding'),
            'activeMemberships', (select count(*) from membership m join patron p using (patron_id)
                                  where p.patron_type_id = t.patron_type_id and m.state = 'active' and m.ends_at > now()),
            'pendingMembershipBills', (select count(*) from membership m join patron p using (patron_id)
                                       where p.patron_type_id = t.patron_type_id and m.state = 'pending'),
            'loanLimitPolicies', (select count(*) from loan_limit_policy llp where llp.patron_type_id = t.patron_type_id))
        from patron_type t
        where t.patron_type_id = p_patron_type_id and ps.can_see_institution(t.institution_id)
          and ps.current_staff_role() in ('consortium_admin', 'library_admin')
    $$;
comment on function ps.patron_type_impact(bigint) is
    'What deleting a patron type or its policy would touch: patrons of the type, their open loans, outstanding bills and balance (across the consortium), memberships and loan limit policies.';

-- Deletes only with p_confirm; otherwise PS409 confirmation_required naming the impact. Patron types
-- are soft-deleted (patrons keep their type; the policy shows "policy without category"); a policy's
-- row goes, but its full history (old values) stays in patron_type_policy_change.
create function ps.delete_patron_type(p_patron_type_id bigint, p_what text, p_confirm boolean) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_impact jsonb := ps.patron_type_impact(p_patron_type_id);
        v_result jsonb;
    begin
        if v_impact is null then
            return null;
        end if;
        if p_what = 'policy' and not (v_impact->>'hasPolicy')::boolean then
            return null;
        end if;
        if not coalesce(p_confirm, false) then
            raise exception using errcode = 'PS409', message = 'confirmation_required',
                detail = format('Deleting this %s affects %s patrons, %s open loans and %s outstanding bills (%s in minor units); repeat with confirm=true.',
                    replace(p_what, '_', ' '), v_impact->>'patrons', v_impact->>'activeLoans', v_impact->>'outstandingBills', v_impact->>'outstandingMinor'),
                hint = 'confirm:required';
        end if;
        if p_what = 'policy' then
            delete from ps.patron_type_policy where patron_type_id = p_patron_type_id;
            v_result := jsonb_build_object('patronTypeId', p_patron_type_id, 'policyDeleted', true);
        else
            update ps.patron_type set deleted_at = coalesce(deleted_at, now()) where patron_type_id = p_patron_type_id
            returning ps.api(to_jsonb(patron_type.*)) into v_result;
        end if;
        return v_result || jsonb_build_object('impact', v_impact);
    end $$;
comment on function ps.delete_patron_type(bigint, text, boolean) is
    'Deletes a patron type (soft) or its policy (history kept) once confirmed; unconfirmed, PS409 confirmation_required with the impact.';

-- ---------------------------------------------------------------------------------------------------
-- Bills: cancelling, and the Outstanding Fees and Bills report with its orphaned bills
-- ---------------------------------------------------------------------------------------------------

create function ps.cancel_bill(p_bill_id bigint) returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_bill ps.bill;
    begin
        if ps.current_staff_role() not in ('circulation_supervisor', 'library_admin', 'consortium_admin') then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Circulation supervisors and administrators cancel bills.';
        end if;
        select * into v_bill from ps.bill where bill_id = p_bill_id for update;
        if not found then
            return null;
        end if;
        if v_bill.state <> 'outstanding' then
            raise exception using errcode = 'PS409', message = 'bill_not_outstanding', detail = format('The bill is %s.', v_bill.state);
        end if;
        update ps.bill set state = 'cancelled', cancelled_at = now(),
            cancelled_by = coalesce(nullif(current_setting('ps.actor', true), ''), session_user)
        where bill_id = p_bill_id returning * into v_bill;
        return ps.api(to_jsonb(v_bill));
    end $$;
comment on function ps.cancel_bill(bigint) is 'Cancels an outstanding bill (a pending membership bill cancels its membership); kept, with who cancelled it and when.';

-- The patrons of the bills the caller can see, including deleted patrons and other institutions' ones.
create function ps.bill_patrons()
    returns table (patron_id bigint, institution_id bigint, barcode text, name text, deleted boolean, patron_type_id bigint)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select p.patron_id, p.institution_id, p.barcode, p.last_name || ', ' || p.first_name, p.deleted_at is not null, p.patron_type_id
        from patron p
        where exists (select 1 from bill b where b.patron_id = p.patron_id and ps.can_see_institution(b.institution_id))
    $$;

create view ps.outstanding_bills_report with (security_invoker = true) as
    select b.institution_id, b.bill_id, b.patron_id,
           case when bp.deleted then 'N/A' else bp.barcode end as patron_barcode,
           case when bp.deleted then 'N/A' else bp.name end as patron_name,
           bp.institution_id as patron_institution_id,
           b.kind, b.reason, b.amount_minor, b.amount_minor - b.paid_minor - b.waived_minor as balance_minor,
           b.posted_at, b.created_at, m.membership_id,
           case when bp.deleted then 'patron_deleted'
                when m.membership_id is not null and m.state = 'pending'
                     and pp.membership_policy_id is distinct from m.membership_policy_id then 'membership_policy_removed' end as orphan_reason
    from ps.bill b
    join ps.bill_patrons() bp on bp.patron_id = b.patron_id
    left join ps.membership m on m.bill_id = b.bill_id
    left join ps.patron_type_policy pp on pp.institution_id = bp.institution_id and pp.patron_type_id = bp.patron_type_id
    where b.state = 'outstanding';
comment on view ps.outstanding_bills_report is
    'Outstanding Fees and Bills: every outstanding bill with its balance; the patron shows as N/A when deleted. orphan_reason: patron_deleted, or membership_policy_removed for a pending membership bill whose policy no longer applies to the patron''s type (staff cancel these by hand).';

create view ps.orphaned_bills with (security_invoker = true) as
    select * from ps.outstanding_bills_report where orphan_reason is not null;
comment on view ps.orphaned_bills is
    'Orphaned bills: outstanding bills of deleted patrons (shown as N/A) and pending membership bills left when a membership policy was removed from a patron type.';

-- ---------------------------------------------------------------------------------------------------
-- Membership expiry reminders
-- ---------------------------------------------------------------------------------------------------

alter table ps.outbox drop constraint outbox_kind_check;
alter table ps.outbox add constraint outbox_kind_check
    check (kind in ('patron_change_confirmation', 'staff_change_request', 'membership_expiry_reminder'));
-- A patron with no e-mail address gets a print notification: queued with the channel 'print', no
-- recipients, and the postal address in the payload.
alter table ps.outbox add column channel text not null default 'email' check (channel in ('email', 'print'));
alter table ps.outbox drop constraint outbox_recipients_check;
alter table ps.outbox add constraint outbox_recipients_check check (cardinality(recipients) > 0 or channel = 'print');
comment on column ps.outbox.channel is 'email (to recipients) or print (a notice to post to the address in the payload).';

-- Queues one reminder per active membership entering its policy's reminder window, to the patron's
-- notification address: an e-mail, or a print notice when the patron has no e-mail address.
create function ps.queue_membership_reminders() returns jsonb
    language plpgsql volatile
    as $$
    declare
        v_queued integer := 0;
        v_print integer := 0;
        v_row record;
    begin
        if ps.current_staff_role() not in ('library_admin', 'consortium_admin') then
            raise exception using errcode = 'PS403', message = 'role_not_allowed', detail = 'Administrators queue reminders.';
        end if;
        for v_row in
            select m.membership_id, m.institution_id, m.patron_id, m.ends_at, mp.name, p.registered_branch_id, a.channel, a.address,
                   jsonb_build_object('name', p.first_name || ' ' || p.last_name, 'line1', p.address_line1, 'line2', p.address_line2,
                       'city', p.city, 'state', p.state, 'postalCode', p.postal_code, 'country', p.country) as postal
            from ps.membership m
            join ps.membership_policy mp using (membership_policy_id)
            join ps.patron p on p.patron_id = m.patron_id and p.deleted_at is null
            cross join lateral ps.notification_address(m.patron_id) a
            where m.state = 'active' and m.reminded_at is null and mp.reminder_days is not null
              and now() < m.ends_at and now() >= m.ends_at - make_interval(days => mp.reminder_days)
            for update of m
        loop
            insert into ps.outbox (institution_id, kind, channel, patron_id, branch_id, recipients, payload)
            values (v_row.institution_id, 'membership_expiry_reminder', v_row.channel, v_row.patron_id, v_row.registered_branch_id,
                    case when v_row.channel = 'email' then array[v_row.address] else '{}' end,
                    jsonb_build_object('membershipId', v_row.membership_id, 'policy', v_row.name, 'endsAt', v_row.ends_at)
                    || case when v_row.channel = 'print' then jsonb_build_object('postalAddress', v_row.postal) else '{}' end);
            if v_row.channel = 'email' then v_queued := v_queued + 1; else v_print := v_print + 1; end if;
            update ps.membership set reminded_at = now() where membership_id = v_row.membership_id;
        end loop;
        return jsonb_build_object('queued', v_queued, 'print', v_print);
    end $$;
comment on function ps.queue_membership_reminders() is
    'Queues membership expiry reminders (once per membership) for memberships within their policy''s reminder days of expiry: e-mails, or print notices for patrons with no e-mail; returns how many of each.';

do $$
declare t text;
begin
    foreach t in array array['membership_policy', 'membership', 'overdue_suspension_policy'] loop
        execute format('alter table ps.%I enable row level security', t);
        execute format('alter table ps.%I force row level security', t);
        execute format('create policy tenant_read on ps.%I for select using (ps.can_see_institution(institution_id))', t);
        execute format('create policy tenant_write on ps.%I for all using (ps.can_write_institution(institution_id)
            and ps.current_staff_role() not in (''pac'', ''patron'')) with check (ps.can_write_institution(institution_id)
            and ps.current_staff_role() not in (''pac'', ''patron''))', t);
        execute format('create policy owner_read on ps.%I for select to patron_owner using (true)', t);
    end loop;
end $$;

-- ---------------------------------------------------------------------------------------------------
-- Every function a DBA may meet in a plan or a stack trace says what it is for.
-- ---------------------------------------------------------------------------------------------------

comment on function ps.sha256(text) is 'SHA-256 of a random secret (staff tokens, PAC keys, sessions); only the hash is stored.';
comment on function ps.circulation_patrons() is 'Behind the ps.circulation_patron view: the patrons a circulation desk may see (own institution and circulation group partners).';
comment on function ps.add_field_error(text[], text, text) is 'Appends "field:code" to a list of field errors (PS422 hints).';
comment on function ps.apply_patron_field(bigint, text, jsonb) is 'Writes one contact field of a patron (address, e-mail, phone) from an approved or direct account update.';
comment on function ps.patron_field_value(ps.patron, text) is 'The current value of one contact field of a patron, as JSON, for change requests and their history.';
comment on function ps.access_option_setting(text) is 'The setting name behind a Patron Access Options contact field.';
comment on function ps.clear_alerts(bigint, bigint, text, bigint, text, text[]) is
    'Decides a prospective checkout or renewal''s alerts: blocking ones need a supervisor''s override with a comment (PS403), the others an acknowledgement (PS409).';
comment on function ps.lock_own_loan(bigint) is 'Locks a loan the caller''s institution lent (and its patron), or PS404.';
comment on function ps.raise_field_errors(text[], text) is 'Raises PS422 validation_failed listing the field errors, when there are any.';
comment on function ps.impose_suspension(bigint, bigint, integer, text, bigint, boolean) is
    'Inserts a suspension starting when the patron''s current one ends, capped by the maximum suspension period; 0 refuses (strict) or skips.';
comment on function ps.loan_days_overdue(ps.loan) is 'Days a loan is overdue now, counted in its checkout branch''s time zone.';
comment on function ps.settings_institution(bigint) is 'The institution a settings write acts on (given, or the caller''s), or PS404 when the caller may not write it.';
comment on function ps.bill_patrons() is 'Behind the bill reports: the patrons of the bills the caller can see, deleted ones and other institutions'' included.';

-- ---------------------------------------------------------------------------------------------------
-- Account Overview: once a template is assigned, the patron type includes the Account Overview option
-- when staff contact the patron; the reply-to address is the first choice's, else the second choice's.
-- ---------------------------------------------------------------------------------------------------

alter table ps.library add column reply_to_email text check (reply_to_email is null or reply_to_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$');
alter table ps.patron_type add column reply_to_email text check (reply_to_email is null or reply_to_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$');
comment on column ps.library.reply_to_email is 'The institution''s reply-to address for notifications (reply-to choice "institution").';
comment on column ps.patron_type.reply_to_email is 'The address configured by patron type (reply-to choice "patron_type").';

create function ps.contact_options(p_patron_id bigint) returns jsonb
    language sql stable
    as $$
        select jsonb_build_object('patronId', p.patron_id,
            'notification', (select jsonb_build_object('channel', a.channel, 'address', a.address) from ps.notification_address(p.patron_id) a),
            'accountOverview', case when pp.account_overview_template is not null then jsonb_build_object(
                'template', pp.account_overview_template,
                'replyTo', coalesce(first.address, second.address),
                'replyToChoice', case when first.address is not null then pp.reply_to_first
                                      when second.address is not null then pp.reply_to_second end) end)
        from ps.patron p
        join ps.library l on l.institution_id = p.institution_id
        join ps.patron_type t on t.patron_type_id = p.patron_type_id
        join ps.branch b on b.branch_id = p.registered_branch_id
        left join ps.patron_type_policy pp on pp.institution_id = p.institution_id and pp.patron_type_id = p.patron_type_id
        cross join lateral (select case pp.reply_to_first when 'institution' then l.reply_to_email when 'branch' then b.staff_email
                                                          when 'patron_type' then t.reply_to_email end as address) first
        cross join lateral (select case pp.reply_to_second when 'institution' then l.reply_to_email when 'branch' then b.staff_email end as address) second
        where p.patron_id = p_patron_id and p.deleted_at is null
    $$;
comment on function ps.contact_options(bigint) is
    'How staff may contact a patron: the notification channel and address, and the Account Overview option (template and resolved reply-to address) when the patron type policy assigns a template.';
